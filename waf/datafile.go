package waf

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"path"
	"slices"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// Coraza's @pmFromFile (and its alias @pmf) reads its data file each time
// a rule is built, but keeps the matcher it builds from the words under
// the file's name (its memoizer's key: the directories searched and the
// path), for as long as any engine that built it lives. During a reload
// the old engine lives, so a word list or an IP list edited in place was
// read anew and thrown away: the new engine matched the old words until a
// restart (attack 65 found it; docs/waf.md "Memory" listed it as a
// limit). The wrapper below names the matcher by the file's content too:
// it reads the file as Coraza does and adds the SHA-256 of what it read
// to the list of directories, after the one it was found in, so the key
// changes with the words and the search never reaches the added entry.
// Engines reading the same words still share one matcher.

// corazaPMFromFile is Coraza's @pmFromFile, taken before this package
// replaces it.
var corazaPMFromFile = corazaOperators["pmFromFile"]

func init() {
	if corazaPMFromFile == nil {
		panic("waf: Coraza's @pmFromFile operator is not registered")
	}
	plugins.RegisterOperator("pmFromFile", newPMFromFileByContent)
	plugins.RegisterOperator("pmf", newPMFromFileByContent)
}

func newPMFromFileByContent(o plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	if data, err := readDataFile(o.Arguments, o.Path, o.Root); err == nil {
		sum := sha256.Sum256(data)
		o.Path = append(slices.Clone(o.Path), "\x00sha256:"+hex.EncodeToString(sum[:]))
	}
	return corazaPMFromFile(o)
}

// readDataFile reads name as Coraza's operators do: an absolute path from
// root, a relative one from the first of dirs that has it.
func readDataFile(name string, dirs []string, root fs.FS) ([]byte, error) {
	if root == nil {
		return nil, errors.New("no file system")
	}
	if path.IsAbs(name) {
		return fs.ReadFile(root, name)
	}
	for _, d := range dirs {
		data, err := fs.ReadFile(root, path.Join(d, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return data, err
	}
	return nil, fs.ErrNotExist
}
