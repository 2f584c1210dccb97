package jobs

// OrderWait exposes the default ordering wait to the external tests.
var OrderWait = orderWait

// NewDriver and Queues expose the client's driver and queue configuration
// to the benchmarks' River floor, so the floor runs as Roster does.
var (
	NewDriver = newDriver
	Queues    = queues
)
