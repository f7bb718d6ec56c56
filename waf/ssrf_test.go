package waf

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ssrfAttacks are a twelfth fresh-eyes attack's (attack 16) B6 and B7:
// internal hosts in spellings Node's URL and glibc's inet_aton read as
// 169.254.169.254 or 127.0.0.1, names with a trailing dot, dict://.
var ssrfAttacks = []string{
	// B6: numeric hosts in octal, hex or fewer parts
	"http://169.254.43518/latest/meta-data/iam/security-credentials/", "http://169.16689662/",
	"http://0251.254.169.254/", "http://0251.0376.0124776/", "http://169.0376.0124776/",
	"http://169.254.0xa9fe/", "http://0xa9.254.43518/", "http://0177.1/", "http://0x7f.1/",
	"http://0x7f000001/", "http://017700000001/", "http://0x7f.0.0.1/",
	"http://user@0177.1/", "http://0X7F.1:8080/", "https://0177.0.0.1", "http:\\\\0x7f.1\\x",
	"http://169.254.43518", "gopher2://0x7f.1/",
	// attack 18's: full-width digits, ideographic and full-width full
	// stops, a special scheme with one slash or none
	"http://１２７.１/", "http://１６９.２５４.４３５１８/latest/meta-data/", "http://0x7f。1/", "http://0x7f．1/", "http://0x7f｡1/",
	"http:/0x7f.1/", "http:0x7f.1/", "http:/169.254.43518/latest/meta-data/",
	// B7: a trailing dot, dict://
	"http://metadata.google.internal./computeMetadata/v1/", "http://instance-data./latest/",
	"dict://127.0.0.1:11211/stats", "http://metadata./computeMetadata/v1/",
	"http://kubernetes.default.svc.:443/api", "http://x.cluster.local./", "DICT://10.0.0.5:6379/info",
	// a fifteenth fresh-eyes attack's (attack 19): fixed internal names
	// with the API path an attacker reads
	"https://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets", "https://kubernetes.default/api/v1/secrets",
	"https://kubernetes.default.svc.cluster.local:443/api/v1/serviceaccounts", "https://kubernetes/api/v1/namespaces/x/pods/p/exec",
	"http://host.docker.internal:2375/containers/json", "http://host.docker.internal:2375/v1.43/containers/create",
	"http://docker:2376/images/json", "unix:///var/run/docker.sock:/containers/json",
	// attack 20's: a dot segment Node removes; the metadata address with
	// one slash, none, three, a backslash
	"https://kubernetes.default.svc/./api/v1/secrets", "http:/169.254.169.254/latest/meta-data/", "http:169.254.169.254/latest/meta-data/",
	"http:\\\\169.254.169.254\\latest\\meta-data\\", "http:///169.254.169.254/latest/meta-data/", "http:/\\169.254.169.254/latest/meta-data/",
	"HTTPS:/127.0.0.1:8080/admin", "http:/100.100.100.200/latest/meta-data/",
	"http+unix://%2Fvar%2Frun%2Fdocker.sock/v1.43/containers/json",
	// attack 21's: a tab or a line break inside, which WHATWG URL drops
	// (210123 with the CRS's list, 210124 with 210121's expression); a
	// port with leading zeros; metadata.goog (210125)
	"ht\ttp://169.254.169.254/latest/meta-data/", "fetch h\nttp://169.254.169.254/latest/meta-data/", "http://127.0.0\r\n.1:6379/",
	"https://kubernetes.default.svc\t/api/v1/secrets", "http://0x7f\t.1/", "http://host.docker.internal:02375/containers/json",
	"http://metadata.goog/computeMetadata/v1/instance/service-accounts/default/token", "HTTP://METADATA.GOOG./computeMetadata/v1/",
	"http:/metadata.goog/computeMetadata/v1/", "http://metadata.go\tog/computeMetadata/v1/",
	// attack 23's: characters a host parser (UTS #46) drops inside a
	// host, full stops it reads as dots, circled digits it reads as
	// digits
	"http://169\u00ad.254.169.254/latest/meta-data/", "http://meta\u200bdata.goog/computeMetadata/v1/",
	"http://169.254\ufeff.169.254/latest/meta-data/", "http://127.0\u2060.0.1:6379/", "http://metadata.google\u034f.internal/computeMetadata/v1/",
	"http://169.254.169\u180b.254/latest/meta-data/", "http://169.254.169.\ufe0f254/latest/", "http://metadata\u3002goog/computeMetadata/v1/",
	"http://metadata\uff61google\uff61internal/computeMetadata/v1/", "http://\u246b\u2466.1/", "http://169\u2064.254.169.254/latest/meta-data/", "http://\u00b969.254.169.254/latest/meta-data/", "http://169.\u00b254.169.\u00b254/latest/meta-data/", "http://\u00b927.0.0.1:10250/pods",
	"http://127.0.0.\u2074/", "http://10.0.0.\u2081/", "http://\U0001d7cf\U0001d7d0\U0001d7d5.0.0.1/", "http://meta\u2064data.goog/computeMetadata/v1/", "http://\u2460\u2465\u2468.\u2461\u2464\u2463.169.254/latest/",
	// attack 27's: circled numbers 21-50, which UTS #46 reads as two
	// digits
	"http://169.\u3255" + "4.169.\u3255" + "4/latest/meta-data/iam/security-credentials/", "http://169.\u3255" + "4.169.\u3255" + "4/computeMetadata/v1/",
	"http://1\u3257.0.0.1/admin", "http://1\u3257.1:8080/admin", "http://1\u3257.0.0.1:6379/",
	// attack 28's: a mapped digit in an address with no known path,
	// which 931100 refuses in ASCII (210126)
	"http://\u246f9.254.169.254/metadata/instance?api-version=2021-02-01", "http://\u246f9.254.169.254/", "http://1\u24659.254.169.254/",
	"http://16\u2468.254.169.254/",
	// attack 29's: a leading space, which a URL parser drops and 931100
	// (anchored) does not read
	" http://\u246f9.254.169.254/x", " http://\u2469.0.0.1/admin", " http://\U0001d7cf\U0001d7d4\U0001d7d7.254.169.254/x", " http://10.0.0.1/admin", "\x01http://10.0.0.1/admin",
	// attack 30's: user information before the host (210127, 210128)
	"http://a@169.254.169.254/", "http://user:pw@169.254.169.254/latest/meta-data/", "http://a@metadata.google.internal/computeMetadata/v1/",
	"http://a@127.0.0.1:2019/config/", "http://a@10.0.0.1/admin", "http://a@b@127.0.0.1/", "http://x:y@[::1]/",
	// attack 31's: user information with mapped digits in the host, or a
	// tab or line break in it
	"http://a@\u2460\u2465\u2468.\u2461\u2464\u2463.\u2460\u2465\u2468.\u2461\u2464\u2463/", "http://a@\u246f9.254.169.254/latest/meta-data/",
	"http://a@\u2469.0.0.1/admin", "http://a@\u2460\u2461\u2466.0.0.1:2019/config/", "http://a\t@169.254.169.254/", "http://\ta@169.254.169.254/",
	"http://a\n@169.254.169.254/latest/meta-data/",
	// attack 32's: the scheme's default port written out
	"http://metadata.google.internal:80/computeMetadata/v1/", "http://metadata.google.internal:80/computeMetadata/v1/instance/service-accounts/default/token",
	"http://metadata:80/computeMetadata/v1/", "http://instance-data:80/latest/meta-data/",
	// attack 33's: percent-escapes in the host's letters
	"http://%6d%65tadata.google.internal/computeMetadata/v1/", "http://metadat%61.google.internal/computeMetadata/v1/",
	"http://%6D%45TADATA.google.internal/computeMetadata/v1/", "http://instance-dat%61/latest/meta-data/", "http://%6Cocalhost:2019/config/",
	// attack 34's: a special scheme without its //
	"http:localhost:2019/config/", " http:localhost:2019/config/", "http:/localhost:2019/config/", "http:\\\\localhost:2019\\config\\",
	"http:/%6Cocalhost:2019/config/", "http:metadata.google.internal/computeMetadata/v1/", "http:/metadata.google.internal/computeMetadata/v1/",
	"http:\\\\metadata.google.internal\\computeMetadata\\v1\\", "http:/\\metadata.google.internal/computeMetadata/v1/",
	"http:\\\\a@metadata.google.internal/computeMetadata/v1/",
	// left open by attack 34: an IPv6 address in another spelling than
	// the CRS's list's behind user information (the CRS's 932130 refuses
	// one right after //, as a shell's /[...]), a URL without its scheme, AWS's instance-data by
	// its full names
	"http://user@[::ffff:169.254.169.254]/latest/meta-data/", "http://a@[::FFFF:A9FE:A9FE]/computeMetadata/v1/",
	"http://a@[0000:0000::1]:2375/containers/json", "http:\\\\[::ffff:169.254.169.254]\\latest\\meta-data\\",
	"http://a@[0:0:0:0:0:ffff:7f00:1]/", "//169.254.169.254/latest/meta-data/", "/\\169.254.169.254\\latest\\meta-data\\",
	"/////////169.254.169.254/latest/meta-data/", "/\\\\\\\\\\\\\\\\metadata.google.internal/computeMetadata/v1/",
	" //metadata.google.internal/computeMetadata/v1/", "//a@127.0.0.1:2019/config/",
	"http://instance-data.ec2.internal/latest/meta-data/", "http://instance-data.us-west-2.compute.internal/latest/meta-data/iam/",
	// attack 37's: a backslash first, a tab or a line break among the
	// slashes, two backslashes before a metadata or loopback name
	"\\/169.254.169.254/latest/meta-data/", "\\/metadata.google.internal/computeMetadata/v1/", "\\/localhost:2019/config/",
	"/\t/169.254.169.254/latest/meta-data/", "/\n/169.254.169.254/latest/meta-data/", "\\\t\\169.254.169.254/latest/meta-data/",
	"\\\\\\169.254.169.254\\latest\\meta-data\\", "\\\\localhost:2019\\config\\", "\\\\metadata.google.internal\\computeMetadata\\v1\\",
	"\\\\169.254.169.254\\latest\\meta-data\\",
	// attack 36's: a wildcard DNS service's names of internal addresses
	// in dashes or hex (rule 210175)
	"http://a9fea9fe.nip.io/latest/meta-data/", "http://169-254-169-254.nip.io/latest/meta-data/", "http://app-7f000001.nip.io:2019/config/",
	"fetch http://10.0.0.1.sslip.io/admin", "fetch http://x.192-168-1-1.sslip.io/", "http://magic-100-100-100-200.nip.io./latest/meta-data/",
	// attack 38's: a dot segment in the path, which WHATWG URL removes
	"http://metadata.google.internal/computeMetadata/./v1/instance/service-accounts/default/token",
	"http://metadata.google.internal/computeMetadata/%2e/v1/instance/service-accounts/default/token",
	"fetch http://metadata.google.internal/computeMetadata/%2E/v1/",
	// attack 38's: a name under .localhost with a port (RFC 6761)
	"http://customer1.app.localhost:2019/config/", "http://a.localhost:2019/config/", "http://admin.localhost:8080/", "a.localhost:2019",
	"http://x.LocalHost:2019/", "http://u@a.localhost.:6379/",
	// attack 39's: a backslash further in the path, an empty port
	"http://metadata.google.internal/computeMetadata\\v1/", "http://metadata.google.internal/computeMetadata\\v1\\instance\\service-accounts\\default\\token",
	"http://metadata.google.internal/computeMetadata/v1\\", "http://metadata.google.internal:/computeMetadata/v1/",
	"http://metadata.google.internal:/computeMetadata/v1/instance/service-accounts/default/token",
	"fetch http://169.254.169.254/latest\\meta-data/ now",
	// attack 39's: public names that answer 127.0.0.1
	"http://lvh.me:2019/config/", "http://vcap.me:2019/config/", "http://app.lvh.me:6379/", "fetch //a.fuf.me:2375/containers/json",
	"http://x.localhost.direct:2019/config/", "http://u@lvh.me./config/",
	// attack 40's: Tencent Cloud's metadata name, localho.st
	"http://metadata.tencentyun.com/latest/meta-data/", "fetch http://metadata.tencentyun.com./latest/", "http://localho.st:2019/config/",
	// attack 41's: wildcard and rebinding services, a hosts file's name,
	// IBM Cloud's and Equinix Metal's metadata names
	"http://app.127-0-0-1.traefik.me:2019/config/", "http://app.local.gd:2019/config/", "http://make-127-0-0-1-rr.1u.ms:2019/config/",
	"http://7f000001.a9fea9fe.rbndr.us/latest/meta-data/", "http://08080808.a9fea9fe.rbndr.us/latest/meta-data/",
	"http://make-8-8-8-8-rebind-169-254-169-254-rr.1u.ms/latest/meta-data/", "http://ip6-localhost:2019/config/",
	"http://api.metadata.cloud.ibm.com/metadata/v1/instance", "http://metadata.platformequinix.com/metadata",
	// attack 42's: sslip.io's IPv6 names, a loopback name, a rebinding
	// service, Packet's metadata name (Docker's host.docker.internal
	// passes: developers' configurations name it, ssrfBenign)
	"http://--1.sslip.io:2019/config/", "http://0--1.sslip.io/", "http://fd00-ec2--254.sslip.io/latest/meta-data/",
	"http://spoofed.burpcollaborator.net:2019/config/", "http://s-1.2.3.4-127.0.0.1-123-fs-e.d.rebind.it/",
	"http://metadata.packet.net/metadata",
}

// ssrfBenign are near-misses: dotted quads of public addresses (in prose:
// the CRS's 931100 refuses a value that starts with a URL of an IP
// address, whichever it is), names
// that start with digits, versions and dates, a URL ending a sentence.
var ssrfBenign = []string{
	"see http://93.184.216.34/ for the demo", "mirror: https://93.184.216.34:8443/index.html and ftp://192.0.2.10/pub/file.txt",
	"upgrade to 1.2.3", "http://example.com/v1.2/", "released on 2026.01.05", "http://example.com/0177.1/",
	"see http://example.com.", "see http://intranet.", "http://1password.com/", "http://123.example.com/",
	"https://0x0.st/abc.txt", "http://example.com./", "a dict: {a: 1}", "dictionary://words",
	"Version 0.1.2 of http://example.com", "http://3com.com/", "https://example.com/?v=1.2.3",
	"10.5 mg at 08.30", "https://api.example.com/v2.0/items?id=0x1f",
	// attack 18's closing kept these passing: full-width text in a URL's
	// path, a scheme's name in prose before a time, a name with full-width
	// letters
	"http://example.com/１２７.１/", "ratio:1.5", "see http: 1.2", "https://例え.jp/", "time:10.30",
	// near attack 19's: the same names as configuration (Argo CD's
	// in-cluster destination, a config form's service addresses), other
	// paths and ports, documentation
	"https://kubernetes.default.svc", "https://kubernetes.default.svc:443", "http://vault.service.consul:8200", "http://consul.service.consul:8500",
	"postgres://host.docker.internal:5432/db", "tcp://host.docker.internal:2375", "unix:///var/run/docker.sock",
	"http://host.docker.internal:3000/api/users", "https://kubernetes.io/docs/reference/kubernetes-api/", "http://payments.service.consul/v1/charges",
	"https://docs.docker.com/engine/api/v1.43/#tag/Container", "http://example.com:23750/containers",
	// attack 20's false positives: a Prometheus scrape target, prose
	// about the API, Vault and Consul paths in configuration (left open
	// as attacks: the same URL is the configuration)
	"https://kubernetes.default.svc/metrics", "From a pod you reach the API at https://kubernetes.default.svc/api/v1/namespaces/default/pods",
	"http://vault.service.consul:8200/v1/secret/data/app", "http://consul.service.consul:8500/v1/kv/app/config",
	"see http:/docs for 127.0.0.1",
	// near 210123-210125: multi-line text with URLs, numbers and colons,
	// which dropping the line breaks joins; the short name in prose
	"Steps:\n1. open http://example.com/\n2. click Save", "Contact:\r\nhttps://example.com/\r\n0177 1234",
	"key:\tvalue\nother:\t0x7f", "host: example.com\nport: 8080\nversion 1.2.3", "the metadata.goog domain",
	"http://metadata.google.internal.example.com/", "see https://cloud.google.com/compute/docs/metadata/overview\nfor metadata.goog",
	"http://host.docker.internal:023750/containers",
	// near attack 23's: a soft hyphen, a zero-width space, a BOM and
	// circled digits in text with URLs and colons
	"\ufeffnote: see http://example.com/ for details", "Bestell\u00adnummer: 12.345, https://shop.example.de/",
	"Steps: \u2460 open https://example.com/ \u2461 click Save", "docs\u200b: http://example.com/v1.2/ \u3002",
	// near attack 29's: a leading space before prose with a URL
	" see http://10.0.0.1/ and http://\u2469.0.0.1/", " version 1.2.3.4 of http://example.com/",
	// near attack 30's: e-mail addresses, an @ in a URL's path or query,
	// user information before a public name
	"mail bob@example.com about http://example.com/", "https://example.com/@user/10.0.0.1", "https://mastodon.social/@alice",
	"https://example.com/?u=a@127.0.0.1", "https://bob:pw@example.com/feed",
	"https://example.com:443/", "http://example.com:80/a", "see http://example.com:8080/ and ftp://files.example.com:21/pub",
	"http://%65xample.com/100%25", "https://example.com/search?q=50%25+off", "xhttps://metadata.google.internal:443/",
	"see http:example.com", "see http: 1.2 and https:/example.com/x",
	// near what attack 34 left open: a scheme-relative URL of a public
	// host, comments, the names in prose (a URL of an IPv6 address is
	// refused by the CRS's 932130, which reads /[...] as a shell's
	// expression)
	"//cdn.example.com/lib.js", "http://example.com/files\\2026\\report.pdf", "http://example.com:/docs/", "see https://intranet.example.com/wiki\\Home", "I use lvh.me for local development", "http://203-0-113-5.traefik.me/", "http://08080808.01010101.rbndr.us/", "http://2001-db8--1.sslip.io/", "the ip6-localhost entry in the hosts file", "https://lvh.me.example.com/docs", "\\\\10.0.0.5\\share\\report.pdf", "\\\\169.254.169.254\\share", "// 127.0.0.1 is the loopback", "the instance-data.ec2.internal name resolves to it",
	"instance-data.example.com", "http://instance-data.example.com/",
	// near 210175: public addresses under nip.io, the service's name
	"see http://203-0-113-5.nip.io/", "see http://93.184.216.34.nip.io/", "https://nip.io/ explains it", "http://deadbeef.nip.io/",
	"http://10-0-0-1.nip.io.example.com/",
	// near dot segments: a relative path in prose, a file name with dots
	"see http://example.com/docs/./intro and ../readme", "http://example.com/v1.2/..x/", "https://example.com/a/.well-known/x",
	// near .localhost: prose, another domain
	"use app.localhost for development", "http://app.localhost.example.com/", "the .localhost TLD",
}

// TestSSRFBeyondTheCRS: rule 210121 refuses ssrfAttacks in the query and
// in JSON, which the CRS alone passes, and no near-miss.
func TestSSRFBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range ssrfAttacks {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/api/fetch?url=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/fetch", contentType: "application/json", body: jsonString("url", s)})
	}
	for _, s := range ssrfBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/api/notes?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
	}
	// a URL in a custom header: plainly safe characters, handed to the
	// rules since it holds a scheme (urlValue)
	for _, s := range append([]string{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://metadata.google.internal/computeMetadata/v1/",
		// attack 20's: no //, which the header's check waited for
		"http:/0x7f.1/", "http:/0xa9fea9fe/latest/meta-data/", "HTTP:/169.254.43518/latest/meta-data/", "http:/metadata.google.internal./computeMetadata/v1/",
		"http:0x7f.1/", "http:/169.254.169.254/latest/meta-data/",
		// attack 21's: the other special schemes without a slash
		"ftp:0x7f.1/", "wss:169.254.43518/", "ws:0x7f.1/",
		// a tab inside (a header's value may hold one); the short name
		"ht\ttp://169.254.169.254/latest/meta-data/", "http://0x7f\t.1/", "http://metadata.goog/computeMetadata/v1/"}, ssrfAttacks[:12]...) {
		misses = append(misses, probe{name: "header " + s, method: "POST", path: "/api/jobs", header: http.Header{"X-Callback-Url": {s}}})
	}
	for _, s := range []string{"https://hooks.example.com/ci/42", "http://example.com./", "http://1password.com/"} {
		benign = append(benign, probe{name: "header " + s, method: "POST", path: "/api/jobs", header: http.Header{"X-Callback-Url": {s}}})
	}
	benign = append(benign, probe{name: "Origin of a developer's machine", method: "GET", path: "/api/items", header: http.Header{"Origin": {"http://localhost:3000"}}},
		probe{name: "Origin of the metadata address", method: "GET", path: "/api/items", header: http.Header{"Origin": {"http://127.0.0.1:8080"}}})
	benign = append(benign, probe{name: "Argo CD's in-cluster destination", method: "POST", path: "/api/v1/applications", contentType: "application/json",
		body: `{"metadata":{"name":"app"},"spec":{"destination":{"server":"https://kubernetes.default.svc","namespace":"default"}}}`})
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestDropURLSpaces: a host parser's reading of what attack 23 hid in
// hosts, and no allocation for a value without such characters.
func TestDropURLSpaces(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://169\u00ad.254.169.254/", "http://169.254.169.254/"},
		{"ht\ttp://meta\u200bdata\u3002goog/", "http://metadata.goog/"},
		{"http://\u246b\u2466\uff0e1/", "http://127.1/"},
		{"http://\u2488\u2489\ufe0f0.0.1/", "http://1.2.0.0.1/"},
		{"x:\ufeff\U000e0100\U0001bca0y", "x:y"},
		{"caf\xe9: \u00ad\xff", "caf\xe9: \ufffd"},
	} {
		if got, _, _ := dropURLSpaces(c.in); got != c.want {
			t.Errorf("dropURLSpaces(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, s := range []string{"http://example.com/a?b=c", "東京: https://例え.jp/", "Ａ：ｂ"} {
		if a := fewestAllocs(func() { _, _, _ = dropURLSpaces(s) }); a != 0 {
			t.Errorf("dropURLSpaces(%q): %v allocations, want 0", s, a)
		}
		if urlSpace(s) {
			t.Errorf("urlSpace(%q): true", s)
		}
	}
}

// TestHostNoiseCoversNFKCDigits: every character that NFKC makes digits
// or dots of (what a host parser's UTS #46 mapping reads as an address's
// digits) is one hostNoise finds, and dropURLSpaces reads it so (attack
// 27 passed ㉕, U+3255, before the list was made from NFKC itself).
func TestHostNoiseCoversNFKCDigits(t *testing.T) {
	n := 0
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		ch := string(r)
		f := norm.NFKC.String(ch)
		if f == "" || strings.Trim(f, "0123456789.") != "" {
			continue
		}
		n++
		if hostNoise("1"+ch) < 0 {
			t.Errorf("hostNoise misses %U (%s is %q)", r, ch, f)
			continue
		}
		if got, _, _ := dropURLSpaces("http://1" + ch + "/"); got != "http://1"+f+"/" {
			t.Errorf("dropURLSpaces reads %U as %q, want %q", r, got, "http://1"+f+"/")
		}
	}
	if n < 80 {
		t.Errorf("%d characters NFKC makes digits or dots of: the table is wrong", n)
	}
}

// TestHostChars: hostChars is sorted with its ranges apart (the binary
// search needs it), and every character in it is one hostNoise finds and
// dropURLSpaces reads otherwise; a character next to a range is neither.
func TestHostChars(t *testing.T) {
	for i, c := range hostChars {
		if c.lo > c.hi || i > 0 && c.lo <= hostChars[i-1].hi {
			t.Fatalf("hostChars[%d] = %U-%U: not sorted or overlapping", i, c.lo, c.hi)
		}
		for r := c.lo; r <= c.hi; r++ {
			in := "http://1" + string(r) + "/"
			if hostNoise(in) != len("http://1") {
				t.Errorf("hostNoise misses %U", r)
			}
			if got, changed, _ := dropURLSpaces(in); !changed || got == in {
				t.Errorf("dropURLSpaces keeps %U (kind %d)", r, c.kind)
			}
		}
		for _, r := range []rune{c.lo - 1, c.hi + 1} {
			if hostCharKind(r) == hostKeep && hostNoise("1"+string(r)) >= 0 {
				t.Errorf("hostNoise finds %U, which is not in hostChars", r)
			}
		}
	}
}

// crs931100 is 931100's expression, which ipURL reads in Go.
var crs931100 = regexp.MustCompile(`(?i)^(f(?:ile|tps?)|https?|ssh)://(?:\[?[0-9a-f]+:[0-:a-f]+\]?|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})`)

// TestPlainAuthority: the user information of each URL's authority goes,
// nothing else; a value without any is returned as is, unallocated.
func TestPlainAuthority(t *testing.T) {
	for in, want := range map[string]string{
		"http://a@169.254.169.254/":              "http://169.254.169.254/",
		"x http://u:p@h/ and ftp://a@b@c:21/":    "x http://h/ and ftp://c/",
		"https://example.com/@user":              "https://example.com/@user",
		"mail a@b.c":                             "mail a@b.c",
		"http://a@":                              "http://",
		"http://@h?x=@y":                         "http://h?x=@y",
		"http://a\t@h/":                          "http://h/",
		"http://h:80/x":                          "http://h/x",
		"https://[::1]:443/":                     "https://[::1]/",
		"http://h:8080/":                         "http://h:8080/",
		"HTTP://a@h:0080/":                       "HTTP://h/",
		"ftp://h:21/ and wss://h:443":            "ftp://h/ and wss://h",
		"gopher://h:70/":                         "gopher://h:70/",
		"http://%6D%45ta/x%41":                   "http://meta/x%41",
		"http://u@[::ffff:169.254.169.254]:80/x": "http://169.254.169.254/x",
		"http://[0:0:0:0:0:0:0:1]/":              "http://[::1]/",
		"http://[::1]/":                          "http://[::1]/",
		"http://[2001:DB8::1]:8080/":             "http://[2001:db8::1]:8080/",
		"http://[fe80::1%25eth0]/":               "http://[fe80::1%eth0]/",
		" //h/x":                                 "http://h/x",
		"\\\\h\\x":                               "http://h/x",
		"\\/h/":                                  "http://h/",
		"/\t/h/":                                 "http://h/",
		"/\\h\\x":                                "http://h/x",
		"///////h/":                              "http://h/",
		"http://]@[::ffff:169.254.169.254]/":     "http://169.254.169.254/",
		"http://x@]@[::1]/":                      "http://[::1]/",
		"http://h/a/./b/../c?x=/./":              "http://h/a/c?x=/./",
		"http://h/a/%2E/b/":                      "http://h/a/b/",
		"http://h/a/..":                          "http://h/",
		"see http://h/./a and http://g/b/":       "see http://h/a and http://g/b/",
		"//":                                     "//",
		"// h":                                   "// h",
	} {
		if got, _, _ := plainAuthority(in); got != want {
			t.Errorf("plainAuthority(%q) = %q, want %q", in, got, want)
		}
	}
	s := "https://example.com/@user?q=a@b"
	if a := fewestAllocs(func() { _, _, _ = plainAuthority(s) }); a != 0 {
		t.Errorf("plainAuthority(%q): %v allocations", s, a)
	}
}

// FuzzPlainAuthority: a value with user information or a default port in
// a URL's authority comes back without it (changed), and a value with
// none comes back as it was.
func FuzzPlainAuthority(f *testing.F) {
	for _, s := range []string{"http://a@b/", "x://@", "://a@b://c@d", "http://a/b@c", "mail a@b", "http://%5D%40[::ffff:169.254.169.254]/", "http://x%40[0::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, changed, _ := plainAuthority(v)
		if !oddAuthority(v) && (changed || d != v) {
			t.Fatalf("plainAuthority(%q) = %q, want it unchanged", v, d)
		}
		if oddAuthority(v) && d == v {
			t.Fatalf("plainAuthority(%q) = %q drops nothing", v, d)
		}
	})
}

// c0AndSpace are the characters a URL parser drops before a URL.
var c0AndSpace = func() string {
	b := make([]byte, 0, 33)
	for c := byte(0); c <= ' '; c++ {
		b = append(b, c)
	}
	return string(b)
}()

// FuzzIPURL: rule 210126's operator matches what 931100's expression
// matches on the value without its leading C0 controls and spaces.
func FuzzIPURL(f *testing.F) {
	for _, s := range []string{"http://169.254.169.254/", "HTTPS://[::1]/", "ftp://1.2.3", "ssh://fe80::1", "file://1234.1.1.1", "http://a:b", "gopher://1.2.3.4", "http://1.2.3.4x", "http://ab:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := ipURL(v), crs931100.MatchString(strings.TrimLeft(v, c0AndSpace)); got != want {
			t.Fatalf("ipURL(%q) = %v, 931100's expression %v", v, got, want)
		}
	})
}

func FuzzDropURLSpaces(f *testing.F) {
	for _, s := range []string{"http://169\u00ad.254.169.254/", "http://\u246b\u2466.1/", "http://169\u2064.254.169.254/latest/meta-data/", "http://\u00b969.254.169.254/latest/meta-data/", "http://169.\u00b254.169.\u00b254/latest/meta-data/", "http://\u00b927.0.0.1:10250/pods",
		"http://127.0.0.\u2074/", "http://10.0.0.\u2081/", "http://\U0001d7cf\U0001d7d0\U0001d7d5.0.0.1/", "http://meta\u2064data.goog/computeMetadata/v1/", "a:\t\u3002\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, changed, err := dropURLSpaces(v)
		if err != nil || changed != (d != v) {
			t.Fatalf("dropURLSpaces(%q) = %q, %v, %v", v, d, changed, err)
		}
		if strings.ContainsAny(d, "\t\n\r") {
			t.Fatalf("dropURLSpaces(%q) = %q keeps a tab or a line break", v, d)
		}
		if !urlSpace(v) && strings.IndexByte(v, ':') >= 0 && changed {
			t.Fatalf("dropURLSpaces(%q) changed a value urlSpace passes", v)
		}
	})
}

// TestSSRFInCookies: rule 210129 reads a cookie, percent-encoded or not,
// with the CRS's list of metadata and loopback URLs, as 210127 reads
// arguments (attack 34 passed q=http%3A%2F%2F169.254.169.254%2Flatest%2F
// meta-data%2F, which the CRS reads in arguments only). A cookie holding
// another URL passes.
func TestSSRFInCookies(t *testing.T) {
	tableOnly(t)
	cookie := func(v string) http.Header { return http.Header{"Cookie": {"q=" + v}} }
	var misses, benign []probe
	for _, v := range []string{"http%3A%2F%2Fa%40169.254.169.254%2Flatest%2Fmeta-data%2F", "http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F",
		"http%3A%2F%2Fmetadata.google.internal%2FcomputeMetadata%2Fv1%2F", "http%3A%2F%2F127.0.0.1%3A2375", "http://metadata:80/computeMetadata/v1/",
		// a review's: percent-decoding makes the @ and ] that hid the
		// IPv6 host (the reading crashed before)
		"http://%255D%2540[::ffff:169.254.169.254]/latest/"} {
		misses = append(misses, probe{name: "cookie " + v, method: "GET", path: "/api/items", header: cookie(v)})
	}
	for _, v := range []string{"https%3A%2F%2Fexample.com%2Fdashboard", "http://10.0.0.5/return", "https%3A%2F%2Fshop.example.com%3A443%2Fcart"} {
		benign = append(benign, probe{name: "cookie " + v, method: "GET", path: "/api/items", header: cookie(v)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestWildcardDNSAddr: the address a wildcard DNS service answers for a
// name, in dots, dashes or hex, and what 210175 refuses.
func TestWildcardDNSAddr(t *testing.T) {
	for host, want := range map[string]string{
		"10.0.0.1": "10.0.0.1", "app.10.0.0.1": "10.0.0.1", "169-254-169-254": "169.254.169.254", "app-127-0-0-1": "127.0.0.1",
		"a9fea9fe": "169.254.169.254", "app-7f000001": "127.0.0.1", "x.a.b": "", "deadbeefx": "", "1-2-3": "", "": "", "-": "", "..": "",
	} {
		ip, ok := wildcardDNSAddr(host)
		if got := ""; ok {
			got = ip.String()
			if got != want {
				t.Errorf("wildcardDNSAddr(%q) = %s, want %q", host, got, want)
			}
		} else if want != "" {
			t.Errorf("wildcardDNSAddr(%q): none, want %s", host, want)
		}
	}
	for v, want := range map[string]bool{
		"http://a9fea9fe.nip.io/": true, "http://100-100-100-200.nip.io/": true, "http://deadbeef.nip.io/": false, "http://8.8.8.8.nip.io/": false,
		"x.nip.io": false, "http://10-0-0-1.nip.io.example.com/": false, "http://10-0-0-1.nip.io./": true, "http://10-0-0-1.nip.io": true,
	} {
		if got := wildcardDNSInternal(v); got != want {
			t.Errorf("wildcardDNSInternal(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestSSRFMetadataInReferer: rule 210177 refuses a cloud metadata
// server's URL in the Referer or the User-Agent, in any spelling the
// authority may take (attack 44 passed http://169.254.169.254/latest/
// meta-data/ in both: the CRS reads neither for SSRF), and a developer's
// loopback Referer, a LAN address and ordinary ones pass.
func TestSSRFMetadataInReferer(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, v := range []string{"http://169.254.169.254/latest/meta-data/", "http://metadata.google.internal/computeMetadata/v1/",
		"http://[fd00:ec2::254]/latest/meta-data/", "http://100.100.100.200/latest/meta-data/", "http://169.254.170.2/v2/credentials",
		"http://0xA9FEA9FE/latest/", "http://2852039166/latest/", "http://a@169.254.169.254/latest/", "http://[::ffff:a9fe:a9fe]/latest/",
		"http://metadata./computeMetadata/v1/", "http://192.0.0.192/latest/", "https://instance-data.ec2.internal/latest/",
		"http://metadata.tencentyun.com/latest/", "http://169.254.169.254:80/", "Mozilla/5.0 (http://169.254.169.254/latest/user-data)",
		// attack 49's: full-width and mathematical letters, which Go's
		// client folds in a host
		"http://ｍｅｔａｄａｔａ.google.internal/computeMetadata/v1/", "http://metadata.ｇｏｏｇｌｅ.internal/computeMetadata/v1/",
		"http://𝐦𝐞𝐭𝐚𝐝𝐚𝐭𝐚.google.internal/computeMetadata/v1/", "http://ＭＥＴＡＤＡＴＡ.GOOGLE.INTERNAL/computeMetadata/v1/",
		"http://ｍｅｔａｄａｔａ/computeMetadata/v1/", "Mozilla/5.0 (compatible; PreviewBot/2.1; +http://ｉｎｓｔａｎｃｅ-ｄａｔａ/latest/meta-data/)"} {
		misses = append(misses, refererAndAgent(v)...)
	}
	for _, v := range []string{"http://localhost:3000/page", "http://127.0.0.1:5173/", "http://192.168.1.20:8080/app", "https://shop.example.com/item?id=7",
		"https://www.google.com/", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"https://example.com/blog/metadata-services-explained", "https://docs.example.com/169.254.169.254-explained",
		"https://www.google.com/search?q=%E4%BE%8B%E3%81%88", "https://例え.jp/ページ"} {
		benign = append(benign, refererAndAgent(v)...)
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// refererAndAgent are two GETs with v as the Referer and as the
// User-Agent.
func refererAndAgent(v string) []probe {
	return []probe{{name: "Referer " + v, method: "GET", path: "/api/items", header: http.Header{"Referer": {v}}},
		{name: "User-Agent " + v, method: "GET", path: "/api/items", header: http.Header{"User-Agent": {v}}}}
}

func TestMetadataURL(t *testing.T) {
	for _, v := range []string{"http://169.254.169.254/", "//metadata.google.internal", "http://[fd00:ec2::254]:80/", "x http://u:p@100.100.100.200/"} {
		if !metadataURL(v) {
			t.Errorf("210177 misses %q", v)
		}
	}
	for _, v := range []string{"http://127.0.0.1/", "http://10.0.0.1/", "https://metadata.example.com/", "http://169.254.169.254.example.com/", "//", "http://[", "http://a@"} {
		if metadataURL(v) {
			t.Errorf("210177 matches %q", v)
		}
	}
}

// FuzzMetadataURL: any Referer is read without a panic.
func FuzzMetadataURL(f *testing.F) {
	for _, s := range []string{"http://169.254.169.254/", "http://[fd00:ec2::254]/", "//a@[::1", "http://metadata./"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { metadataURL(v) })
}
