package waf

import "testing"

// pgMatchAttacks are attack 72's: PostgreSQL's regular-expression and
// ILIKE operators (~* !~* ~~* !~~*), @@ and the root operator |/, which
// neither libinjection nor rule 210200 read, in a numeric slot, a string
// slot (210179) and ORDER BY; and expressions past the reader's first
// bounds (9 operands, 5 levels of brackets), which ended the reading and
// passed. Each ran on PostgreSQL 15 or SQLite 3.40.
var pgMatchAttacks = []string{"5 or name ~* ''", "0 or password ~* '^pw1'", "0 or password ~~* 'pw1%'", "5 or name !~* 'zzz'", "5 or name !~~* 'zzz'",
	"5 or name @@ name", "5 or |/price > 0", "5 or name~*''", "0 or password ~* '^pw1' returning password", "password ~* '^pw1'",
	"5 or id+id+id+id+id+id+id+id+1", "5 or id*id*id*id*id*id*id*id*1", "5 or id+0+0+0+0+0+0+0+0", "5 or (((((rowid notnull)))))",
	"0 or id+id+id+id+id+id+id+id+id+1 and password glob 'pw1*'"}

// pgMatchQuoted are the string slot's, rule 210179's.
var pgMatchQuoted = []string{"' or name ~* ''--", "x' or name ~* '", "x' or password ~* '^pw1' or 'a'='b", "x' or name !~~* 'zzz' or '"}

// TestPostgresMatches: 210200 and 210179 refuse attack 72's rows through
// a real Caddy, and no near-miss (prose with a tilde).
func TestPostgresMatches(t *testing.T) {
	nearMisses(t, "210179", tautologySuffix, []string{"it's ~5 km or so", "He said 'hi' or ~ish"})
	operatorTable(t, "210179", tautologySuffix, pgMatchQuoted, nil, []string{"it's ~5 km or so", "Rated 'A' or ~B"})
	operatorTable(t, "210200", numberOperand, pgMatchAttacks, nil, []string{"~ish 5", "5 or ~6 people", "2 or 3 ~ 4 km", "5 or so ~ maybe"})
}
