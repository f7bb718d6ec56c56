package waf

import "testing"

// constantTestAttacks are attack 70's: a numeric slot given a constant
// and a test of it with no OR, which SQL reads after the slot's own =
// (WHERE id = 5 is not 5 is (id = 5) IS NOT 5: every row on SQLite, where
// =, IS, IN, LIKE and GLOB share a level; 5 is not true, 5 is false and
// 5 is distinct from true on PostgreSQL 15), and a password read a
// letter a request through IS NOT and GLOB. Each passed the CRS and the
// gateway in every place.
var constantTestAttacks = []string{"5 is not 5", "5 IS NOT 5", "5/**/is/**/not/**/5", "5\nis\nnot\n5", "5 is  not  5", "5 is not '5x'", "0x5 is not 5",
	"5 is not +5", "5 is not 5-0", "0 is not 5", "-1 is not -1", "5 is not 6", "1 is not 1;", "5 is not true", "5 is false", "5 is distinct from true",
	"5 not in (5)", "5 not in(5)", "5 not in (5,6)", "5 not like 5", "5 not glob 5", "5 like 0", "5 glob 0", "5 is 0", "5=0", "5 = 0", "5<5=0",
	"5 != 1 = 1", "5 <=> 0", "1 is not (password glob 'pw1*')", "1 is not (password glob 'pw[0-1]*')", "1 is not (password glob x'2A')"}

// constantTestBenign are near-misses: arithmetic before the test, a
// test with a word, a list of words.
var constantTestBenign = []string{"1+1=2", "2*3=6", "10/2=5", "5 is fine", "5 is not enough", "1 is the loneliest number", "3 in (the list)",
	"5 like this", "2 is my answer", "4 in (a row)", "7 is not a prime? yes it is"}

// TestConstantTests: rule 210200 refuses constantTestAttacks through a
// real Caddy (in the query and in JSON), and no near-miss.
func TestConstantTests(t *testing.T) {
	operatorTable(t, "210200", numberOperand, constantTestAttacks, nil, constantTestBenign)
}
