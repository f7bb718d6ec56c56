package waf

import (
	"testing"
)

// selectAfterLeadAttacks are attack 86's: a second SELECT after a sort
// key or a number, which SQL Server runs with no separator (ORDER BY
// <sort>, WHERE id = <n>): a conversion's error prints the password, a
// division by zero is a yes or no, a cross join is a clock, SELECT INTO
// a temporary table copies a table (210201's led and numbered read
// SELECT only as SELECT ... INTO <name> FROM, and not #x).
var selectAfterLeadAttacks = []string{
	"name desc select convert(int,password) from users",
	"name desc select cast(password as int) from users",
	"name desc select 1/(select count(*) from users where password like 'a%')",
	"name desc select 1/count(*) from users where password like 'a%'",
	"name desc select count(*) from sys.all_objects a,sys.all_objects b,sys.all_objects c where (select top 1 password from users) like 'a%'",
	"name desc select * into ##x from users",
	"name select * into #x from users",
	"id select * into #x from users",
	"1 select * into #x from users",
	"name desc select top 1 convert(int,password) from users",
	"name select convert(int,password) from users",
}

// selectAfterLeadCRSCatches are attack 86's shapes the CRS refuses too.
var selectAfterLeadCRSCatches = []string{
	"name desc select substring(password,1,1) from users",
	"id select 1/count(*) from users where password like 'a%'",
}

// selectAfterLeadBenign are prose with a SELECT after words, a sort
// key or a list's number: they pass.
var selectAfterLeadBenign = []string{
	"sort by name desc select the cheapest",
	"id select one",
	"Order: name desc. Select from the menu (see below)",
	"Please select all",
	"name desc, select the one you want",
	"[WIP] Select from favorites",
	"name desc select item(s) from the list",
	"Use select count from the menu",
	"Name select optional",
	"id select the newest",
	"name desc select the cheapest from the list",
	"Please select the files to upload",
	"price asc select a size below",
	"Order: name desc. Select the best one",
}

// TestSelectAfterLead: rule 210201 refuses attack 86's SELECT after a
// lead through a real Caddy, and passes prose's (1 select all from the
// list, Name select (optional), Please select file(s) to upload, 1.
// Select * from the menu pass 210201 but the CRS alone refuses them:
// TestSelectAfterLeadOperator reads them).
func TestSelectAfterLead(t *testing.T) {
	operatorTable(t, "210201", tsqlStatement, selectAfterLeadAttacks, selectAfterLeadCRSCatches, selectAfterLeadBenign)
}

// TestSelectAfterLeadOperator: prose the CRS alone refuses passes
// 210201 (its operator read directly).
func TestSelectAfterLeadOperator(t *testing.T) {
	for _, v := range []string{"1 select all from the list", "Name select (optional)", "Please select file(s) to upload",
		"1. Select * from the menu", "2) Select count(s) from the table", "1) select * from the list", "Use select count(*) from t",
		"1 select every item from the list", "1. Select the menu"} {
		if tsqlStatement(v) {
			t.Errorf("210201 matches the benign %q", v)
		}
	}
}
