package jobs

// OrderWait exposes the default ordering wait to the external tests.
var OrderWait = orderWait
