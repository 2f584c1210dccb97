// Package main calls strings.ToUpper and imports, but never calls,
// strings.ToLower: the fixture reports in ../fixed and ../unfixed are made
// up against those two symbols.
package main

import (
	"fmt"
	"strings"
)

func main() {
	fmt.Println(strings.ToUpper("roster"))
}
