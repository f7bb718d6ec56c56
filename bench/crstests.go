package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// The CRS's own regression tests (tests/regression/tests of a coreruleset
// checkout of the version the waf module embeds), run with go-ftw against
// a Caddy built with the waf, twice: with the CRS alone (waf { crs_only })
// and with the gateway's additions (docs/waf.md, "Detection"). go-ftw is
// an external command, never a dependency of this module: -ftw names its
// binary, else go-ftw on PATH, else `go install` of ftwVersion into the
// bench's temporary directory.
//
// go-ftw reads the rule ids each test triggered from the WAF's log (its
// default mode, as the CRS's own CI runs it): the Caddy under test writes
// Coraza's audit log in the ModSecurity native format ([id "942100"]
// lines, and the request headers in which go-ftw finds its markers),
// turned on by the rules file below, not by anything in the waf module.
// The waf runs in detect mode, as the CRS's test setup does
// (MODSEC_RULE_ENGINE DetectionOnly), in front of a backend that answers
// /reflect as the CRS's test backend (albedo) does, for the response
// rules' tests.

// ftwVersion is the go-ftw `go install` fetches when none is given.
const ftwVersion = "v2.5.0"

// crsTestsWAF is the waf block of the Caddy under test: the settings of
// the CRS's own test setup (tests/docker-compose.yml: blocking paranoia
// 4, argument lengths, file sizes, UTF-8 validation), with the body and
// argument limits raised so that the tests' requests are inspected rather
// than refused on size.
const crsTestsWAF = `waf {
		paranoia 4
		mode detect
		responses
		body_limit 1MiB
		max_arguments 1000
		rules %s
		%s
	}`

// crsTestsSetup is the rules file: the CRS test setup's variables, and
// the audit log go-ftw reads (%s: its path).
const crsTestsSetup = `SecAction "id:210190,phase:1,pass,t:none,nolog,setvar:tx.crs_validate_utf8_encoding=1,setvar:tx.arg_length=400,setvar:tx.total_arg_length=6400,setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"
SecAuditEngine On
SecAuditLogType Serial
SecAuditLogFormat Native
SecAuditLogParts ABHZ
SecAuditLog %s
`

// crsTestsRun runs the suite in dir (a coreruleset checkout, or its
// tests/regression/tests) twice and returns the pass rates and the failing
// families.
func (b *bench) crsTestsRun(caddyBin, dir, ftwBin string) (string, error) {
	tests := dir
	if st, err := os.Stat(filepath.Join(dir, "tests", "regression", "tests")); err == nil && st.IsDir() {
		tests = filepath.Join(dir, "tests", "regression", "tests")
	}
	if _, err := os.Stat(tests); err != nil {
		return "", fmt.Errorf("-crs-tests %s: %v (want a coreruleset checkout or its tests/regression/tests)", dir, err)
	}
	overrides := filepath.Join(filepath.Dir(tests), "coraza-overrides.yaml")
	if _, err := os.Stat(overrides); err != nil {
		overrides = ""
	}
	ftw, err := b.findFTW(ftwBin)
	if err != nil {
		return "", err
	}
	if err := b.buildCaddy(caddyBin, true); err != nil {
		return "", err
	}
	type run struct {
		name  string
		stats ftwStats
	}
	var runs []run
	for _, v := range []struct{ name, extra string }{{"CRS alone (`crs_only`)", "crs_only"}, {"with the gateway's additions", ""}} {
		log.Printf("go-ftw: %s...", v.name)
		stats, err := b.ftwOnce(ftw, tests, overrides, v.extra)
		if err != nil {
			return "", err
		}
		runs = append(runs, run{v.name, stats})
	}
	var out strings.Builder
	fmt.Fprintf(&out, "CRS regression tests (%s, go-ftw reading the rule ids from Coraza's audit log; waf at paranoia 4 in detect mode with responses, as the CRS's test setup): `go run ./bench -crs-tests DIR`, %s.\n\n", tests, machine())
	out.WriteString("| waf | tests run | passed | failed | pass rate |\n|---|---:|---:|---:|---:|\n")
	for _, r := range runs {
		n := len(r.stats.Success) + len(r.stats.Failed)
		fmt.Fprintf(&out, "| %s | %d | %d | %d | %.1f%% |\n", r.name, n, len(r.stats.Success), len(r.stats.Failed), 100*float64(len(r.stats.Success))/float64(max(n, 1)))
	}
	for _, r := range runs {
		fmt.Fprintf(&out, "\nFailing, %s, by rule family: %s\n", r.name, families(r.stats.Failed))
	}
	before, after := runs[0].stats, runs[1].stats
	fmt.Fprintf(&out, "\nPassing with the CRS alone, failing with the additions: %s\n", listOrNone(diff(after.Failed, before.Failed)))
	fmt.Fprintf(&out, "\nFailing with the CRS alone, passing with the additions: %s\n", listOrNone(diff(before.Failed, after.Failed)))
	return out.String(), nil
}

// ftwStats is go-ftw's JSON summary (the fields used here).
type ftwStats struct {
	Success []string `json:"success"`
	Failed  []string `json:"failed"`
}

// ftwOnce starts the Caddy with the waf (extra: more of its block), a
// /reflect backend behind it, runs go-ftw against it and stops both.
func (b *bench) ftwOnce(ftw, tests, overrides, extra string) (ftwStats, error) {
	backend := &http.Server{Handler: http.HandlerFunc(reflectHandler), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ftwStats{}, err
	}
	go func() { _ = backend.Serve(ln) }()
	defer backend.Close()
	audit := filepath.Join(b.dir, "crs-tests-audit.log")
	_ = os.Remove(audit)
	setup := filepath.Join(b.dir, "crs-tests-setup.conf")
	if err := os.WriteFile(setup, fmt.Appendf(nil, crsTestsSetup, audit), 0o644); err != nil {
		return ftwStats{}, err
	}
	port := freePort()
	caddyfile := filepath.Join(b.dir, "Caddyfile.crs-tests")
	cfg := fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n\tstorage file_system %s\n}\nhttp://:%d {\n\t%s\n\treverse_proxy %s\n}\n",
		filepath.Join(b.dir, "data-crs-tests"), port, fmt.Sprintf(crsTestsWAF, setup, extra), ln.Addr())
	if err := os.WriteFile(caddyfile, []byte(cfg), 0o644); err != nil {
		return ftwStats{}, err
	}
	var caddyLog bytes.Buffer
	cmd := exec.Command(b.caddy, "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Stdout, cmd.Stderr = io.Discard, &caddyLog
	if err := cmd.Start(); err != nil {
		return ftwStats{}, err
	}
	b.procs = append(b.procs, cmd)
	defer b.stopAll()
	if err := waitListening(fmt.Sprintf("127.0.0.1:%d", port), 60*time.Second); err != nil {
		return ftwStats{}, fmt.Errorf("the Caddy under test: %v\n%s", err, tail(caddyLog.String()))
	}
	conf := filepath.Join(b.dir, "ftw.yaml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "logfile: %s\ntestoverride:\n  input:\n    dest_addr: 127.0.0.1\n    port: %d\n    protocol: http\n", audit, port), 0o644); err != nil {
		return ftwStats{}, err
	}
	// go-ftw stops the whole run when a test marked retry_once fails
	// twice: such a test is counted as failed and the run is done again
	// without it
	var aborted []string
	for {
		args := []string{"run", "--config", conf, "-d", tests, "-o", "json", "--read-timeout", "5s"}
		if overrides != "" {
			args = append(args, "--overrides", overrides)
		}
		if len(aborted) > 0 {
			args = append(args, "-e", "^("+strings.Join(aborted, "|")+")$")
		}
		var stdout, stderr bytes.Buffer
		ftwCmd := exec.Command(ftw, args...)
		ftwCmd.Stdout, ftwCmd.Stderr = &stdout, &stderr
		runErr := ftwCmd.Run() // exits non-zero when a test fails
		var stats ftwStats
		// the summary is the last JSON object go-ftw prints
		lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
		for i := len(lines) - 1; i >= 0; i-- {
			if json.Unmarshal(lines[i], &stats) == nil && len(stats.Success)+len(stats.Failed) > 0 {
				stats.Failed = append(stats.Failed, aborted...)
				return stats, nil
			}
		}
		if m := retried.FindAllStringSubmatch(stderr.String(), -1); strings.Contains(stderr.String(), "retry-once") && len(m) > 0 &&
			!slices.Contains(aborted, m[len(m)-1][1]) && len(aborted) < 50 {
			aborted = append(aborted, m[len(m)-1][1])
			log.Printf("go-ftw stopped at %s (failed twice, marked retry_once); running again without it", m[len(m)-1][1])
			continue
		}
		return ftwStats{}, fmt.Errorf("go-ftw gave no summary (%v): %s\n%s", runErr, tail(stdout.String()), tail(stderr.String()))
	}
}

// retried finds the test go-ftw retried in its log.
var retried = regexp.MustCompile(`Retrying test once: ([0-9]+-[0-9]+)`)

// reflectHandler answers as the CRS's test backend (albedo) does: POST
// /reflect with {"status", "headers", "body", "encodedBody"} answers with
// them; anything else gets 200 "ok".
func reflectHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/reflect" || r.Method != http.MethodPost {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
		return
	}
	var spec struct {
		Status      int               `json:"status"`
		Headers     map[string]string `json:"headers"`
		Body        string            `json:"body"`
		EncodedBody string            `json:"encodedBody"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&spec); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body := []byte(spec.Body)
	if spec.EncodedBody != "" {
		if b, err := base64.StdEncoding.DecodeString(spec.EncodedBody); err == nil {
			body = b
		}
	}
	for k, v := range spec.Headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain")
	}
	if spec.Status == 0 {
		spec.Status = http.StatusOK
	}
	w.WriteHeader(spec.Status)
	_, _ = w.Write(body)
}

// findFTW returns the go-ftw binary: bin, else go-ftw on PATH, else one
// installed into the bench's temporary directory.
func (b *bench) findFTW(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	if p, err := exec.LookPath("go-ftw"); err == nil {
		return p, nil
	}
	log.Printf("installing go-ftw %s into %s (go install)...", ftwVersion, b.dir)
	cmd := exec.Command("go", "install", "github.com/coreruleset/go-ftw/v2@"+ftwVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+b.dir)
	cmd.Dir = b.dir // outside this module: its go.mod stays free of go-ftw
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install go-ftw: %v\n%s\n(build it yourself and pass -ftw /path/to/go-ftw)", err, out)
	}
	return filepath.Join(b.dir, "go-ftw"), nil
}

func waitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New(addr + " is not listening")
}

// families counts failed tests (ids such as 942100-3) by rule family, the
// first three digits (942: SQL injection), most first.
func families(failed []string) string {
	count := map[string]int{}
	for _, id := range failed {
		if len(id) >= 3 {
			count[id[:3]]++
		}
	}
	var keys []string
	for k := range count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if count[keys[i]] != count[keys[j]] {
			return count[keys[i]] > count[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s (%s) %d", k, crsFamily[k], count[k]))
	}
	return listOrNone(parts)
}

// crsFamily names the CRS's rule files by their number.
var crsFamily = map[string]string{
	"911": "method enforcement", "913": "scanner detection", "920": "protocol enforcement", "921": "protocol attack",
	"922": "multipart attack", "930": "LFI", "931": "RFI", "932": "RCE", "933": "PHP", "934": "generic",
	"941": "XSS", "942": "SQLi", "943": "session fixation", "944": "Java", "949": "blocking evaluation",
	"950": "data leakage", "951": "SQL leakage", "952": "Java leakage", "953": "PHP leakage", "954": "IIS leakage",
	"955": "web shells", "956": "Ruby leakage", "959": "outbound blocking", "980": "correlation",
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
