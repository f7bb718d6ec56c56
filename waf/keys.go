package waf

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"unsafe"

	"github.com/corazawaf/coraza/v3/collection"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
)

// Coraza 3.8.1 caches a value's transformations, within a transaction,
// under the address of its key string's bytes, the value's index in the
// list the rule reads, the variable and the transformation chain. Two
// values under one key string (one object) share the address, and a
// rule's list differs from another's (a key selected, an exclusion, and
// a map's order, which Go varies between reads): so a rule can read the
// cached transformation of the other value under that key, twice, and
// never its own. The urlencoded body processor stores every value of a
// repeated name under one key string, its cookie parser repeated cookie
// names, and Go's http.Header hands one key string for a header's
// values (a multipart body's repeated fields get a key string each, and
// the query's too). A look at two outcomes that changed between runs on
// one input found it: `q=hello&q=<script>alert(1)</script>` as a form,
// or the same as two cookies, reached the upstream in 1-3 of 60 tries at
// paranoia 1, and a rule reading one key missed the second value in
// 64-141 of 200 requests (TestRepeatedKeysEachInspected).
//
// The fix here gives each value its own key string (the same text, a
// copy), so the address names one value and the cache is right: header
// values when a header repeats (waf.go), cookies after the engine parsed
// them (uniqueCookieKeys), the query's after ProcessURI (uniqueArgKeys),
// and the body processors' ARGS_POST after they fill it (the urlencoded
// one's made anew in the body's order, orderedFormProcessor; the
// multipart one's, uniqueKeysProcessor; registered for the whole
// process, as the @rx operator is). A key of no bytes (an empty name)
// gets a string of no bytes that points at a byte of its own: the
// cookie parser gives every empty name one address, and
// `Cookie: =a; x=1; =<script>alert(1)</script>` passed 5 times in 150
// (a review, attack 68: with the verdict cache, one lucky pass was then
// remembered and every later copy passed uninspected). Not done: a multipart part's headers, which the engine keeps under
// the part's name (MULTIPART_PART_HEADERS; the CRS's 922130 was seen to
// miss now and then, not reproduced with a rule of one key).

// uniqueKeys makes each value of m that shares its key string with
// another value its own copy of it. Only keys with more than one value
// are rewritten; a collection without them is left as it is.
func uniqueKeys(m collection.Map) {
	all := m.FindAll()
	if len(all) < 2 {
		return
	}
	var shared map[string]bool // lower-case keys to rewrite
	seen := make(map[*byte]struct{}, len(all))
	for _, md := range all {
		k := md.Key()
		p := unsafe.StringData(k)
		if _, dup := seen[p]; dup {
			if shared == nil {
				shared = map[string]bool{}
			}
			shared[strings.ToLower(k)] = true
			continue
		}
		seen[p] = struct{}{}
	}
	if shared == nil {
		return
	}
	for lk := range shared {
		var pairs []types.MatchData
		for _, md := range all {
			// as the collection buckets keys: ToLower, not EqualFold
			// (İ lowers to i, which EqualFold does not take for it, and
			// Remove("i") took the İ values with it: Cookie: i=1; i=2;
			// İ=<script>... passed every time, a review)
			if strings.ToLower(md.Key()) == lk {
				pairs = append(pairs, md)
			}
		}
		// each spelling removed (a case-sensitive collection keeps "Q"
		// and "q" apart, a case-insensitive one removes both with one)
		for _, md := range pairs {
			m.Remove(md.Key())
		}
		for _, md := range pairs {
			k := md.Key()
			if k == "" {
				// a string of no bytes at an address of its own
				k = unsafe.String(&new([1]byte)[0], 0)
			} else {
				k = strings.Clone(k)
			}
			m.Add(k, md.Value())
		}
	}
}

// variablesOf is a transaction's collections (Coraza's transaction type
// has them; the public interface does not name the method).
type variablesOf interface {
	Variables() plugintypes.TransactionVariables
}

// uniqueCookieKeys: the engine parsed the Cookie header into
// REQUEST_COOKIES as it was added; repeated names share a key string.
func uniqueCookieKeys(tx types.Transaction) {
	if v, ok := tx.(variablesOf); ok {
		uniqueKeys(v.Variables().RequestCookies())
	}
}

// uniqueArgKeys: the query's empty names (Coraza's unescaping makes
// every one a string with no address).
func uniqueArgKeys(tx types.Transaction) {
	if v, ok := tx.(variablesOf); ok {
		uniqueKeys(v.Variables().ArgsGet())
	}
}

// uniqueKeysProcessor is Coraza's multipart body processor, whose
// ARGS_POST gets unique keys once it has filled it (two fields named ""
// share one address).
type uniqueKeysProcessor struct {
	plugintypes.BodyProcessor
}

func (p uniqueKeysProcessor) ProcessRequest(r io.Reader, v plugintypes.TransactionVariables, o plugintypes.BodyProcessorOptions) error {
	err := p.BodyProcessor.ProcessRequest(r, v, o)
	uniqueKeys(v.ArgsPost())
	return err
}

// orderedFormProcessor is Coraza's urlencoded body processor with
// ARGS_POST made anew, one Add per field in the body's order, once it has
// filled it. Coraza's sets each name's values with Set, name by name in a
// Go map's order, into a collection that ignores case: q=<script>...&Q=1
// set q's values, then Q's over them (or the other way round, as the map
// went), and the script was never read: it passed 30 times in 30 (a
// review). The fields are read as the engine reads them (formValues),
// at most ArgumentLimit of them (the engine marks the limit reached).
type orderedFormProcessor struct {
	plugintypes.BodyProcessor
}

func (p orderedFormProcessor) ProcessRequest(r io.Reader, v plugintypes.TransactionVariables, o plugintypes.BodyProcessorOptions) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	args := v.ArgsPost()
	// the gateway's own arguments, added before the body is processed
	// (body.text, JSON's leaves in a form, decoded values): kept
	prior := args.FindAll()
	err = p.BodyProcessor.ProcessRequest(bytes.NewReader(body), v, o)
	seen := map[string]bool{}
	for _, md := range args.FindAll() {
		if k := strings.ToLower(md.Key()); !seen[k] {
			seen[k] = true
			args.Remove(k)
		}
	}
	for _, md := range prior {
		args.Add(md.Key(), md.Value())
	}
	if mt, _, perr := mime.ParseMediaType(o.Mime); perr == nil && mt == "text/plain" && !plainQuery(string(body)) {
		// text/plain that is not a form, which the engine reads as one:
		// the application reads it whole, and so do the rules (body.text,
		// or JSON's leaves, added before); its pieces split at & and =
		// were prose's false positives (Let n = 2 and k = 3: a value
		// " 2 and k " read as SQL, attack 71). A text/plain body of
		// plainly named fields (id=5 or rowid, u=http%3A%2F%2F...) keeps
		// its pieces: PHP's parse_str(file_get_contents('php://input'))
		// reads it as a form whatever its type (attack 72)
		uniqueKeys(args)
		return err
	}
	fields := formValues(body)
	if o.ArgumentLimit > 0 && len(fields) > o.ArgumentLimit {
		fields = fields[:o.ArgumentLimit]
	}
	for _, f := range fields {
		args.Add(f.name, f.value)
	}
	uniqueKeys(args)
	return err
}

// corazaBodyProcessors is Coraza's registry of body processors, linked
// by name as corazaOperators is: the plugin API registers processors but
// does not hand the engine's own out. A Coraza that renames it fails to
// link, never silently.
//
//go:linkname corazaBodyProcessors github.com/corazawaf/coraza/v3/internal/bodyprocessors.processors
var corazaBodyProcessors map[string]func() plugintypes.BodyProcessor

func init() {
	form, ok := corazaBodyProcessors["urlencoded"]
	if !ok {
		panic("waf: Coraza has no urlencoded body processor to wrap")
	}
	corazaBodyProcessors["urlencoded"] = func() plugintypes.BodyProcessor {
		return orderedFormProcessor{form()}
	}
	multipart, ok := corazaBodyProcessors["multipart"]
	if !ok {
		panic("waf: Coraza has no multipart body processor to wrap")
	}
	corazaBodyProcessors["multipart"] = func() plugintypes.BodyProcessor {
		return uniqueKeysProcessor{multipart()}
	}
}
