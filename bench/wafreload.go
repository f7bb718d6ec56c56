package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wafReloads is the memory of a Caddy whose sites use a WAF across config
// reloads (-waf-reloads): ten sites, each with the WAF at paranoia 1, then
// twenty reloads of configs that keep the WAF's settings and change
// something else, as an operator's reloads do. After each reload every site
// is asked once with an attack (it must answer 403, so the WAF is known to
// be in place) and once plainly, and the process's RSS is read from /proc.
// With -coraza-caddy, the same on that build beside ours.
type wafReloads struct {
	sites, reloads int
}

// wafReloadCaddy is one Caddy measured: its binary, the site's WAF lines
// and any global options it needs.
type wafReloadCaddy struct {
	name, bin, waf, globals string
}

func (b *bench) wafReloadsRun(caddyBin string, o wafReloads) (string, error) {
	if err := b.buildCaddy(caddyBin, true); err != nil {
		return "", err
	}
	caddies := []wafReloadCaddy{{name: "ours (`waf`)", bin: b.caddy, waf: "waf {\n\t\tparanoia 1\n\t}"}}
	if b.corazaBin != "" {
		caddies = append(caddies, wafReloadCaddy{name: "coraza-caddy", bin: b.corazaBin, waf: corazaWAF, globals: "order coraza_waf first"})
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# WAF memory across config reloads\n\n%d sites, each with the WAF at paranoia 1 (the CRS); %d reloads of configs that keep the WAF's settings (each changes a response header). RSS of the Caddy process after start and after reloads (each site asked once with an attack, 403, and once plainly after each). %s, %s.\n\n",
		o.sites, o.reloads, machine(), time.Now().UTC().Format("2006-01-02"))
	marks := []int{0, 1, 5, 10, o.reloads}
	sb.WriteString("| Caddy |")
	for _, m := range marks {
		if m == 0 {
			sb.WriteString(" RSS at start |")
		} else {
			fmt.Fprintf(&sb, " after %d |", m)
		}
	}
	sb.WriteString(" highest | growth start → last |\n|---|")
	sb.WriteString(strings.Repeat("---:|", len(marks)+2) + "\n")
	for _, c := range caddies {
		sizes, err := b.wafReloadsOne(c, o)
		if err != nil {
			return "", fmt.Errorf("%s: %v", c.name, err)
		}
		fmt.Fprintf(&sb, "| %s |", c.name)
		highest := slices.Max(sizes)
		for _, m := range marks {
			fmt.Fprintf(&sb, " %d MiB |", sizes[m]>>20)
		}
		fmt.Fprintf(&sb, " %d MiB | %+d MiB |\n", highest>>20, (int64(sizes[len(sizes)-1])-int64(sizes[0]))>>20)
	}
	return sb.String(), nil
}

// wafReloadsOne starts one Caddy, reloads it and returns its RSS in bytes
// after start (index 0) and after each reload.
func (b *bench) wafReloadsOne(c wafReloadCaddy, o wafReloads) ([]uint64, error) {
	admin := fmt.Sprintf("127.0.0.1:%d", freePort())
	ports := make([]int, o.sites)
	for i := range ports {
		ports[i] = freePort()
	}
	data := filepath.Join(b.dir, "data-reloads-"+strconv.Itoa(len(b.procs)))
	config := func(variant int) string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "{\n\tadmin %s\n\tpersist_config off\n\tstorage file_system %s\n\tlog {\n\t\tlevel ERROR\n\t}\n\t%s\n}\n", admin, data, c.globals)
		for _, p := range ports {
			fmt.Fprintf(&sb, "http://127.0.0.1:%d {\n\t%s\n\theader X-Load %d\n\trespond ok\n}\n", p, c.waf, variant)
		}
		return sb.String()
	}
	file := filepath.Join(b.dir, "Caddyfile.reloads")
	if err := os.WriteFile(file, []byte(config(0)), 0o600); err != nil {
		return nil, err
	}
	if err := b.start(c.bin, "run", "--config", file, "--adapter", "caddyfile"); err != nil {
		return nil, err
	}
	proc := b.procs[len(b.procs)-1]
	defer func() {
		b.procs = b.procs[:len(b.procs)-1]
		_ = proc.Process.Kill()
		_ = proc.Wait()
	}()
	if err := waitHTTP("http://" + admin + "/config/"); err != nil {
		return nil, err
	}
	var sizes []uint64
	for i := 0; i <= o.reloads; i++ {
		if i > 0 {
			if err := loadConfig(admin, config(i%2)); err != nil {
				return nil, fmt.Errorf("reload %d: %v", i, err)
			}
		}
		for _, p := range ports {
			if err := askSite(p); err != nil {
				return nil, fmt.Errorf("after reload %d: %v", i, err)
			}
		}
		r := rss(proc.Process.Pid)
		if r == 0 {
			return nil, fmt.Errorf("no RSS read for pid %d", proc.Process.Pid)
		}
		sizes = append(sizes, r)
	}
	return sizes, nil
}

// askClient opens a connection per request: a kept-alive one may be to a
// server the last reload is closing.
var askClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

// askSite sends one attack (which must be refused with 403) and one
// plain request (which must pass) to the site on this port.
func askSite(port int) error {
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for _, q := range []struct {
		path string
		want int
	}{{"/?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", http.StatusForbidden}, {"/?page=2", http.StatusOK}} {
		var resp *http.Response
		var err error
		// a connection accepted in the moment a reload ends can be
		// closed unanswered by the server being replaced (both builds
		// show it): ask again, up to three times
		for try := 0; try < 3; try++ {
			if resp, err = askClient.Get(base + q.path); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != q.want {
			return fmt.Errorf("GET %s%s: %d, want %d", base, q.path, resp.StatusCode, q.want)
		}
	}
	return nil
}
