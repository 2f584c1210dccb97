package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// Sentinel errors returned by the Store. Callers compare with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// JobInserter inserts River jobs inside an open database transaction.
// *river.Client[*sql.Tx] satisfies it.
type JobInserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Store reads and writes Roster's data. A Store returned inside WithTx
// runs every call in that transaction.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	jobs    JobInserter
	inTx    bool
	// changesDone runs when changes settle (see OnChangesDone).
	changesDone ChangesDoneFunc
	// taskAssigned runs when a task gets an assignee (see OnTaskAssigned).
	taskAssigned TaskAssignedFunc
}

// NewStore returns a Store over an open database.
func NewStore(db *DB) *Store {
	return &Store{db: db.Gorm, dialect: db.Dialect}
}

// UseJobs sets the River client that Enqueue inserts jobs with. It is set
// once at start-up, after the client (whose workers need the Store) exists.
func (s *Store) UseJobs(j JobInserter) { s.jobs = j }

// Dialect reports the database engine.
func (s *Store) Dialect() Dialect { return s.dialect }

// WithTx runs fn in a database transaction: committed if fn returns nil,
// rolled back otherwise. Called on a Store that is already in a
// transaction, it reuses that transaction.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		return fn(&Store{db: gtx, dialect: s.dialect, jobs: s.jobs, inTx: true, changesDone: s.changesDone, taskAssigned: s.taskAssigned})
	})
}

// Enqueue inserts a River job in the Store's transaction, so the job exists
// if and only if the surrounding writes commit. Outside a transaction it
// opens one of its own.
func (s *Store) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if s.jobs == nil {
		return fmt.Errorf("store: enqueue %s: no job client configured", args.Kind())
	}
	return s.WithTx(ctx, func(tx *Store) error {
		sqlTx, err := SQLTx(tx.db)
		if err != nil {
			return err
		}
		if _, err := tx.jobs.InsertTx(ctx, sqlTx, args, opts); err != nil {
			return fmt.Errorf("store: enqueue %s: %w", args.Kind(), err)
		}
		return nil
	})
}

// enqueueBatch bounds the jobs one EnqueueMany statement inserts.
const enqueueBatch = 1000

// EnqueueMany inserts many jobs in the current transaction (or a new one),
// a batch at a time.
func (s *Store) EnqueueMany(ctx context.Context, params []river.InsertManyParams) error {
	if s.jobs == nil {
		return fmt.Errorf("store: enqueue %d jobs: no job client configured", len(params))
	}
	return s.WithTx(ctx, func(tx *Store) error {
		sqlTx, err := SQLTx(tx.db)
		if err != nil {
			return err
		}
		for batch := range slices.Chunk(params, enqueueBatch) {
			if _, err := tx.jobs.InsertManyTx(ctx, sqlTx, batch); err != nil {
				return fmt.Errorf("store: enqueue %d jobs: %w", len(batch), err)
			}
		}
		return nil
	})
}

// SQLTx returns the *sql.Tx under a gorm transaction, for River's InsertTx.
func SQLTx(tx *gorm.DB) (*sql.Tx, error) {
	switch p := tx.Statement.ConnPool.(type) {
	case *sql.Tx:
		return p, nil
	case *gorm.PreparedStmtTX:
		if t, ok := p.Tx.(*sql.Tx); ok {
			return t, nil
		}
	}
	return nil, fmt.Errorf("store: not in a gorm transaction (%T)", tx.Statement.ConnPool)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// translate maps driver errors onto the Store's sentinel errors, keeping
// the original text for logs.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound), errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case errors.Is(err, gorm.ErrDuplicatedKey), errors.Is(err, gorm.ErrForeignKeyViolated),
		strings.Contains(err.Error(), "UNIQUE constraint failed"), pgConflict(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// pgConflict reports a PostgreSQL unique or foreign key violation that
// did not pass through gorm's error translation (a raw statement's
// rows, such as the bulk inserts').
func pgConflict(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "23505" || pg.Code == "23503")
}
