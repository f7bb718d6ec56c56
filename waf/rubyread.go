package waf

import "strings"

// rubyFileReadRule is rule 210233 (attack 96): Ruby that reads a secret's
// file or dumps the environment inside an ERB tag (<% ... %>) or a #{}
// interpolation, which rule 210116 reads for commands only: <%=
// File.read('.env') %> rendered .env through ERB.new(params[:t]) (Rails'
// render inline:), and #{File.read('.env')} and #{ENV.to_h} through a
// Slim, Haml or eval'd Ruby string. Read (rubyFileRead), within a tag:
//   - a string that names one of rule 210170's secrets (.env,
//     config/master.key, /run/secrets/..., read as 210170 reads a
//     value) in a tag that reads (the words File, IO, Pathname, read,
//     open, binread, readlines, foreach, load_file): whatever reaches the
//     reading method (File.read, File&.read, File.send(:read, ...),
//     Object.const_get(:File).read, Pathname.new(...).read, Kernel.open,
//     URI.open);
//   - in #{}, ENV itself but for one variable read by name (ENV['HOME'],
//     ENV.fetch(...), ENV.key?; ENV.keys, the names): #{ENV.to_h}, #{Hash[ENV]}, #{[*ENV]},
//     #{ENV.take(999)} print every variable (in ERB, 210116's).
//
// <%= File.read(Rails.root.join("app/assets/images/logo.svg")) %> (no
// secret's name), <%= @user.name %>, #{Dir.pwd}, #{ENV['HOME']} and
// "Loaded #{File.readlines(path).size} lines" pass. A tag is read to its
// end (%>, or the } that closes the #{ with the braces inside it
// matched) within rubyTagWindow bytes, once: linear in the value.
var rubyFileReadRule = `SecRule ` + valueNameHeaderTargets + ` "@` + rubyFileReadOp + `" "id:210233,phase:2,block,t:none,t:urlDecodeUni,msg:'Code injection: Ruby in a template reading a secret file or the environment',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const rubyFileReadOp = "gatewayRubyFileRead"

func init() { registerGoOperator(rubyFileReadOp, rubyFileRead) }

// rubyTagWindow bounds the bytes of a tag read.
const rubyTagWindow = 1024

// rubyReadWords make a tag one that reads a file.
var rubyReadWords = []string{"File", "IO", "Pathname", "read", "open", "binread", "readlines", "foreach", "load_file", "readlink",
	"sysread", "each_line", "lines"}

// rubyFileRead is rule 210233's operator (see rubyFileReadRule).
func rubyFileRead(v string) bool {
	for i := 0; i+1 < len(v); i++ {
		var interp bool
		switch {
		case v[i] == '<' && v[i+1] == '%':
		case v[i] == '#' && v[i+1] == '{':
			interp = true
		default:
			continue
		}
		end := rubyTagEnd(v, i+2, interp)
		if rubyReadsIn(v[i+2:end], interp) {
			return true
		}
		i = max(i, end-1)
	}
	return false
}

// rubyTagEnd: the end of the tag whose text starts at v[j:]: before its
// %> (ERB) or the } that closes #{ (braces and strings inside read over),
// or rubyTagWindow bytes on.
func rubyTagEnd(v string, j int, interp bool) int {
	limit := min(len(v), j+rubyTagWindow)
	if !interp {
		if e := strings.Index(v[j:limit], "%>"); e >= 0 {
			return j + e
		}
		return limit
	}
	depth := 0
	for k := j; k < limit; k++ {
		switch c := v[k]; c {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return k
			}
			depth--
		case '\'', '"':
			n := strings.IndexByte(v[k+1:limit], c)
			if n < 0 {
				return limit
			}
			k += n + 1
		}
	}
	return limit
}

// rubyReadsIn: the tag's text t reads a secret's file, or (in #{}) dumps
// the environment.
func rubyReadsIn(t string, interp bool) bool {
	reads := false
	for k := 0; k < len(t); k++ {
		c := t[k]
		if c == '\'' || c == '"' {
			n := strings.IndexByte(t[k+1:], c)
			if n < 0 {
				return false
			}
			if reads || rubyReadWordIn(t) {
				reads = true
				if templateSecretName(t[k+1 : k+1+n]) {
					return true
				}
			}
			k += n + 1
			continue
		}
		if !interp || c != 'E' || !wordStart(t, k) || !strings.HasPrefix(t[k:], "ENV") || k+3 < len(t) && identByte(t[k+3], "") {
			continue
		}
		// ENV but for one variable by name
		m := skipSpace(t, k+3)
		if m < len(t) && t[m] == '[' {
			continue
		}
		if m < len(t) && (t[m] == '.' || t[m] == '&') {
			n := m + 1
			if t[m] == '&' && n < len(t) && t[n] == '.' {
				n++
			}
			n = skipSpace(t, n)
			if _, ok := wordAt(t, n, "fetch", "key?", "has_key?", "include?", "member?", "[]", "keys"); ok {
				continue
			}
		}
		return true
	}
	return false
}

// rubyReadWordIn: the tag's text holds one of rubyReadWords as a word.
func rubyReadWordIn(t string) bool {
	for _, w := range rubyReadWords {
		for a := 0; a < len(t); {
			k := strings.Index(t[a:], w)
			if k < 0 {
				break
			}
			k += a
			if wordStart(t, k) && (k+len(w) == len(t) || !identByte(t[k+len(w)], "")) {
				return true
			}
			a = k + 1
		}
	}
	return false
}
