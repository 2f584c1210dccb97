// Package web is Roster's HTTP surface: one route table (routes.go),
// middleware for sessions, CSRF, sign-in (and its rate limit) and roles,
// one error path to the user (errors.go), and handlers grouped by area.
// Handlers parse, authorise, call the store and render or redirect;
// decisions live in models/ and rules/.
package web
