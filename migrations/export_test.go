package migrations

// NewProvider lets tests step through the goose migrations one version at
// a time.
var NewProvider = newProvider
