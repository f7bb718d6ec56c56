package waf

import "testing"

// TestBase64DocumentBeyondTheCRS: a text document of three lines or more
// decoded from base64 (textDocument) is read as a multipart text file's
// contents are, so GitHub's contents API's README with an install line
// passes (a fifteenth fresh-eyes attack's false positive, attack 19: 210151
// refused json.content:base64), and base64 of a command of one or two
// lines is still refused.
func TestBase64DocumentBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	const js = "application/json"
	contents := func(s string) string { return `{"message":"docs","content":"` + b64(s) + `"}` }
	var misses, benign []probe
	for _, s := range []string{"id;cat /etc/passwd", "$(id)", "id;cat /etc/passwd\n", "; id\n\n; id\n"} {
		misses = append(misses, probe{name: "base64 of " + s, method: "PUT", path: "/repos/o/r/contents/x", contentType: js, body: contents(s)})
	}
	for _, s := range []string{
		"# mytool\n\nInstall:\n\n```sh\ncurl -fsSL https://example.com/install.sh | sh\n```\n",
		"# build\n\nRun `make` then `./run.sh; echo done`.\n\nOr: npm ci && npm test\n",
		"all:\n\tgo build ./... && go test ./...\nclean:\n\trm -rf bin | true\n",
	} {
		benign = append(benign, probe{name: "base64 document " + s[:12], method: "PUT", path: "/repos/o/r/contents/README.md", contentType: js, body: contents(s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}
