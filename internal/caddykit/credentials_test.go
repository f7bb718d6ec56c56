package caddykit

import (
	"slices"
	"testing"
)

// TestCredentialQueryNamesAsServersReadThem: a credential query parameter
// is found, and redacted in logs, under every spelling a server reads as
// its name (name[], name[x], escapes, trailing blanks, ';' separators).
func TestCredentialQueryNamesAsServersReadThem(t *testing.T) {
	names := []string{"access_token", "t"}
	for raw, want := range map[string][]string{
		"x=1&access_token=S":   {"query:access_token"},
		"x=1;t=jwt":            {"query:t"},
		"access_token[]=S":     {"query:access_token"},
		"t[x]=S":               {"query:t"},
		"access_token%00=S":    {"query:access_token"},
		"access_token%20=S":    {"query:access_token"},
		"%61ccess_token=S&T=2": {"query:access_token", "query:t"},
		"tt=1&access_tokens=2": nil,
	} {
		if got := appendQueryNames(nil, raw, names, []string{"query:access_token", "query:t"}); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", raw, got, want)
		}
	}
	for raw, want := range map[string]string{
		"x=1;access_token=S":   "x=1;access_token=REDACTED",
		"access_token[]=S&y=2": "access_token[]=REDACTED&y=2",
		"access_token%00=S":    "access_token%00=REDACTED",
		"api-key=S":            "api-key=REDACTED",
	} {
		if got := RedactQuery(raw); got != want {
			t.Errorf("RedactQuery(%q) = %q, want %q", raw, got, want)
		}
	}
}
