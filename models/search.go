package models

import "strings"

// likeEscaper escapes LIKE's wildcards and its escape character, so a
// search box's "50%" or "a_b" matches those characters and not any.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// containsPattern is a LIKE pattern matching values that contain search,
// case-insensitively against a lower()ed column. It is used with
// likeEscape: SQLite has no default escape character and PostgreSQL's is
// the backslash, so the clause names it for both.
func containsPattern(search string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(strings.TrimSpace(search))) + "%"
}

// likeEscape follows every LIKE ? whose pattern is a containsPattern.
const likeEscape = ` ESCAPE '\'`
