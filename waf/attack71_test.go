package waf

import (
	"net/url"
	"testing"
)

// numberSlotAttacks71 are attack 71's: a statement-ending clause after
// the tautology (RETURNING deleted every row and sent the passwords back
// on SQLite, PostgreSQL and MariaDB), a cast as the constant, arithmetic
// before a test of the constant, a column every table has first, and a
// column times an ORDER BY comparison; each passed the CRS and the
// gateway in every place, each run on the three databases.
var numberSlotAttacks71 = []string{"5 or id<>-id returning password", "5 or rowid returning *", "5 or id<>-id for update", "5 or id<>-id for share",
	"5 or id<>-id lock in share mode", "5 or rowid for update", "cast(5 as int) or 1=1", "cast(5 as int) or true", "cast(5 as integer) or 2>1",
	"cast(5 as signed) or 1=1", "cast('5' as int) or 1", "cast(5 as int)or(1)", "CAST(5 AS INT) OR 1=1", "cast(5 as text) or rowid",
	"cast(5 as int) or password like 'pw2%'", "cast(5 as int) and password like 'pw1%'", "5+0 is not true", "5+0 is false",
	"5*1 is distinct from true", "cast(5 as int) is not true", "5+0 <> 5", "1*5 != 5", "1+1<>2", "2+2!=5", "5 - -0 <> 5", "'5'+0 <> 5",
	"5 div 1 <> 5", "5+0 is not 5", "5+0 not in (5)", "5+0 not like 5", "cast(5 as int) is not 5", "5-0 not in (5,5)", "id or true",
	"id is not null", "id <> 5", "-id <> id", "id or 5", "id or 1", "id not in (5)", "rowid or 5", "-id*(password glob 'pw3*')",
	"id%(password glob 'pw1*')"}

// numberSlotBenign71 are near-misses: arithmetic and a comparison, a
// filter language's id==5 and id!=5, prose starting with a column's name.
var numberSlotBenign71 = []string{"1+1=2", "2*3>5", "ID or passport", "id=5", "id!=5", "id==5", "Use cast(x as int) in SQL", "2.0 or later",
	"5 or 7 Main St", "id and name", "ID is required", "rowid is an alias"}

// TestNumberSlot71: rule 210200 refuses attack 71's numeric-slot rows
// through a real Caddy, and no near-miss.
func TestNumberSlot71(t *testing.T) {
	operatorTable(t, "210200", numberOperand, numberSlotAttacks71, nil, numberSlotBenign71)
}

// TestWholeForm: a form body with a field not plainly named is read whole
// too, for an application that reads the body whatever its type (curl
// -d "1' or '1'='1" sends a form: attack 71); a text/plain body is read
// only whole, not as the engine's form pieces, whose values starting with
// a number were prose's false positives (Let n = 2 and k = 3).
func TestWholeForm(t *testing.T) {
	tableOnly(t)
	form := func(v string) probe {
		return probe{name: "form " + v, method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: v}
	}
	var crs, misses, benign []probe
	for _, v := range []string{"1' or '1'='1", "' or ''='", "admin' or 'a'='a", "x' or name='admin", "x' or 'x'='x", "5 or 1=1"} {
		crs = append(crs, form(v))
	}
	for _, v := range []string{"5 or rowid", "5 or id=id", "5 or rowid=rowid"} {
		misses = append(misses, form(v))
	}
	// a text/plain body of plainly named fields keeps the engine's form
	// pieces: PHP's parse_str(file_get_contents('php://input')) reads it
	// as a form whatever its type (attack 72)
	misses = append(misses, probe{name: "text/plain form id=5 or rowid", method: "POST", path: "/notes", contentType: "text/plain", body: "id=5 or rowid"})
	crs = append(crs, probe{name: "text/plain form u=metadata", method: "POST", path: "/notes", contentType: "text/plain", body: "u=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F"})
	// a text/plain body that is JSON and more: read whole as well as its
	// first document's leaves (the reading of JSON stops after it)
	for _, v := range []string{`{"a":"x"}{"b":"<script>alert(1)</script>"}`, `{"a":1} <script>alert(1)</script>`, `[1,2] ' or ''='`} {
		crs = append(crs, probe{name: "text/plain " + v, method: "POST", path: "/notes", contentType: "text/plain", body: v})
	}
	for _, v := range []string{"user=bob&pass=secret", "q=it's+fine&page=2", "name=" + url.QueryEscape("O'Brien") + "&city=Paris"} {
		benign = append(benign, form(v))
	}
	// prose (x=1 and y=2, fields plainly named, is read as a form: the
	// price of PHP's parse_str on a text/plain body, attack 72)
	for _, v := range []string{"Let n = 2 and k = 3", "The condition was status = 1 or status = 2", "where x = 5 or y = 6", "a = 1 or b = 1",
		"x = 5 or x = 6"} {
		benign = append(benign, probe{name: "text/plain " + v, method: "POST", path: "/notes", contentType: "text/plain", body: v})
	}
	runBeyondTheCRS(t, crs, misses, benign)
}

// nameLeadReview are a review's rows: tests of a name every table has
// that are true of (id = id), arithmetic then = 0, a comparison times a
// column; and its near-misses, tests that match no row.
var nameLeadReview = []string{"id is not 5", "rowid is not 5", "id is 1", "id like 1", "id not like 5", "rowid not glob 5", "id in (1)", "id in (1,2)",
	"id and 1", "rowid and true", "id or id", "id or rowid", "rowid or rowid", "5+0=0", "5*0=0", "5-5=0", "5+0==0", "(password glob 'pw3*')*id"}

var nameLeadReviewBenign = []string{"ID is null", "user_id is null", "order_id is null", "id is false", "Id is not true", "ID is unknown", "ID is 5",
	"id or email", "ID and passport", "ID or 5-digit code", "Order ID or 1", "1+1=2", "10-5=5"}

// TestNameLeadReview: the review's rows through a real Caddy.
func TestNameLeadReview(t *testing.T) {
	operatorTable(t, "210200", numberOperand, nameLeadReview, nil, nameLeadReviewBenign)
}

// TestNumberNamedForm: a form body with a field named by a number is read
// whole too (0=0 is every row in WHERE id = <body>: a review).
func TestNumberNamedForm(t *testing.T) {
	for body, want := range map[string]bool{"0=0": true, "5=0": true, "id=1&0=0": true, "-1=1": true, "a=1&b=2": false, "user=bob": false, "a=10&b=-1": false} {
		if got := numberNamed(body); got != want {
			t.Errorf("%q: %v, want %v", body, got, want)
		}
	}
}
