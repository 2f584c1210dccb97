// Package jobs runs Roster's background work on River, in the same process
// as the web server: the client, each job's args and worker (all
// registered in workers.go), and the periodic schedule.
//
// Jobs carry IDs, not objects, and every worker is idempotent: River may
// run a job more than once (after a crash, or on retry), and running it
// twice has the effect of running it once.
package jobs
