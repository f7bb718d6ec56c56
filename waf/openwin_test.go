package waf

import "testing"

// TestOpenWindows are the three Windows spellings the review of attack
// 91's fixes left open (210219): a secret's variable indexed or sliced
// ($env:API_KEY[0..99]: PowerShell prints the characters), on the left
// of an operator that prints it or answers a question about it (-join
// "", -like 'a*': one bit a request), and cmd's type of a wildcard's
// extension (type appsettings.*: cmd prints each file matched).
func TestOpenWindows(t *testing.T) {
	operatorTable(t, "210219", winStatement,
		[]string{"127.0.0.1; $env:API_KEY[0..99]", "127.0.0.1; $env:API_KEY[0]", "127.0.0.1; $env:API_KEY[0..9].Length",
			"127.0.0.1; $env:API_KEY -join ''", "127.0.0.1; $env:API_KEY-join''", "127.0.0.1; $env:DB_PASSWORD -like 'a*'",
			"127.0.0.1; $env:AWS_SECRET_ACCESS_KEY -split ''", "127.0.0.1; ($env:API_KEY[0..99])", "127.0.0.1; $env:API_KEY -replace 'a','b'",
			"127.0.0.1 & type appsettings.*", "127.0.0.1 & type web.?onfig", "127.0.0.1 | more < appsettings.*", "127.0.0.1 & type *.*"},
		nil,
		[]string{"Save it; $env:GITHUB_TOKEN is read by the CLI", "set it; $env:API_KEY - the key you copied", "see; $env:API_KEY -- the key",
			"R & type your name", "Pick a file & type .config", "Tom & Jerry | type: cartoon", "Q&A; & more info",
			"Globs & type * to match all", "x; $env:API_KEY [required]", "x; $env:API_KEY -joins the team"})
}
