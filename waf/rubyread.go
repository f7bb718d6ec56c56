package waf

import "strings"

// rubyFileReadRule is rule 210233 (attack 96): Ruby that reads a file, a
// directory or the whole environment inside an ERB tag (<% ... %>) or a
// #{} interpolation, which rule 210116 reads for commands only:
// <%= File.read('.env') %> rendered .env through ERB.new(params[:t])
// (Rails' render inline:), and #{File.read('.env')} and #{ENV.to_h}
// through a Slim, Haml or eval'd Ruby string. Read (rubyFileRead): File
// or IO (or ::File) and a method that reads (read, readlines, binread,
// foreach, open, new, readlink, read_nonblock, sysread, copy_stream),
// Dir and one that lists (entries, glob, children, each_child, foreach,
// Dir[...]), Pathname(...).read, Kernel's open with a string (open('.env'),
// URI.open), and in #{} ENV dumped whole as 210116 reads it in ERB
// (ENV.to_h, .to_a, .values, .inspect, .keys, .each ...). <%= @user.name
// %>, <%= render 'form' %>, #{name} and #{ENV['HOME']} pass. Each tag is
// read within rubyTagWindow bytes.
var rubyFileReadRule = `SecRule ` + valueNameHeaderTargets + ` "@` + rubyFileReadOp + `" "id:210233,phase:2,block,t:none,t:urlDecodeUni,msg:'Code injection: Ruby in a template reading a file, a directory or the environment',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const rubyFileReadOp = "gatewayRubyFileRead"

func init() { registerGoOperator(rubyFileReadOp, rubyFileRead) }

// rubyTagWindow bounds the bytes of a tag read.
const rubyTagWindow = 256

var (
	rubyReadMethods = []string{"read", "readlines", "binread", "foreach", "open", "new", "readlink", "read_nonblock", "sysread",
		"copy_stream", "each_line", "lines"}
	rubyDirMethods = []string{"entries", "glob", "children", "each_child", "foreach", "open", "new", "home", "pwd"}
	rubyEnvMethods = []string{"to_h", "to_hash", "to_a", "to_s", "inspect", "keys", "values", "each", "each_pair", "each_key",
		"each_value", "map", "collect", "select", "filter", "filter_map", "reject", "sort", "sort_by", "entries", "find_all", "grep",
		"sum", "first", "invert", "slice", "except", "values_at", "pretty_inspect", "to_json", "dup", "clone"}
)

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
		end := min(len(v), i+2+rubyTagWindow)
		if interp {
			if e := strings.IndexByte(v[i+2:end], '}'); e >= 0 {
				end = i + 2 + e
			}
		} else if e := strings.Index(v[i+2:end], "%>"); e >= 0 {
			end = i + 2 + e
		}
		if rubyReadsIn(v[i+2:end], interp) {
			return true
		}
	}
	return false
}

// rubyReadsIn: the tag's text t reads a file, a directory or (in #{})
// the environment.
func rubyReadsIn(t string, interp bool) bool {
	for k := 0; k < len(t); k++ {
		if !asciiLetter(t[k]) || !wordStart(t, k) {
			continue
		}
		e := k
		for e < len(t) && identByte(t[e], "") {
			e++
		}
		w := t[k:e]
		switch w {
		case "File", "IO", "Dir", "ENV", "Pathname", "open", "URI":
		default:
			k = e - 1
			continue
		}
		m := skipSpace(t, e)
		switch {
		case w == "open":
			// Kernel's open with a string: open('.env'), open ".env"
			if m < len(t) && t[m] == '(' {
				m = skipSpace(t, m+1)
			}
			if m < len(t) && (t[m] == '\'' || t[m] == '"') && (k == 0 || t[k-1] != '.') {
				return true
			}
		case w == "Pathname":
			if m < len(t) && t[m] == '(' && strings.Contains(t[m:], ".read") {
				return true
			}
		case w == "Dir" && m < len(t) && t[m] == '[':
			return true
		default:
			var n int
			switch {
			case m < len(t) && t[m] == '.':
				n = m + 1
			case m+1 < len(t) && t[m:m+2] == "::":
				n = m + 2
			default:
				k = e - 1
				continue
			}
			n = skipSpace(t, n)
			var methods []string
			switch w {
			case "File", "IO":
				methods = rubyReadMethods
			case "Dir":
				methods = rubyDirMethods
			case "URI":
				methods = []string{"open"}
			case "ENV":
				if !interp {
					k = e - 1
					continue // 210116's in ERB
				}
				methods = rubyEnvMethods
			default:
				k = e - 1
				continue
			}
			if _, ok := wordAt(t, n, methods...); ok {
				return true
			}
		}
		k = e - 1
	}
	return false
}
