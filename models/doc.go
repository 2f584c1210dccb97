// Package models holds Roster's gorm models and the Store that reads and
// writes them: one file per entity, transactions as closures
// (Store.WithTx), and driver errors translated into ErrNotFound and
// ErrConflict so that callers never see SQL.
//
// Every mutation that an operator performs writes its audit event in the
// same transaction as the change itself (see audit.go).
package models
