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

// searchCond is the condition of a search box over people, the same on
// People and Team Updates: a name, preferred name, work email or employee
// ID that contains search, in any case. table qualifies the columns. On
// PostgreSQL the lower()ed columns are what people_search_idx indexes (a
// trigram index, where pg_trgm could be created); SQLite's LIKE ignores
// ASCII case already, so its columns are compared as they are.
func (s *Store) searchCond(table, search string) (string, []any) {
	col := func(c string) string {
		if s.dialect == SQLite {
			return table + "." + c
		}
		return "lower(" + table + "." + c + ")"
	}
	name := "lower(" + table + ".first_name || ' ' || " + table + ".last_name)"
	if s.dialect == SQLite {
		name = table + ".first_name || ' ' || " + table + ".last_name"
	}
	like := containsPattern(search)
	return "(" + name + " LIKE ?" + likeEscape + " OR " + col("preferred_name") + " LIKE ?" + likeEscape +
			" OR " + col("work_email") + " LIKE ?" + likeEscape + " OR " + col("external_id") + " LIKE ?" + likeEscape + ")",
		[]any{like, like, like, like}
}
