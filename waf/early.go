package waf

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
)

// Early refusal. The CRS scores a request as its rules match and refuses
// it once, in REQUEST-949-BLOCKING-EVALUATION, after every rule of phase
// 2 has read every argument. A request whose values match many rules
// (attack snippets in every header, parameter, cookie and field) pays for
// all of them: a fresh-eyes attack (the ninth) sent 100 headers, 27 query
// parameters, 127 cookies and 60 JSON fields of such mixes, refused with
// 403 after 230-400 ms of CPU, over the bound docs/waf.md states.
//
// So a checkpoint follows the gateway's own rules and each of the CRS's
// request attack files (911 to 944): one rule that refuses as 949110
// would, as soon as the paranoia level 1 score alone reaches the
// threshold. It never refuses what 949110 would let through: the blocking
// score is the sum of the scores of levels 1 to the blocking level, never
// less than level 1's, and the scores only grow in phase 2. It costs one
// comparison of a transaction variable per file (about 1 µs each) when
// nothing matched; a request that scores stops at the first checkpoint
// after its score is reached, so what a refused request costs is what the
// rules up to that file cost. (The checkpoints read level 1 only: at
// paranoia 2 to 4 a score spread across levels is refused at 949110 as
// before.) Tagged anomaly-evaluation, as 949110 is, so an exclusion that
// removes the blocking evaluation by tag removes them too; an exclusion
// that removes 949110 by id must also remove 200100-200114 (15 today;
// isEarlyCheckpoint keeps 20 ids for them).

// earlyFirstID is the first checkpoint's rule id; they are numbered in
// the order they run, after the CRS's and this module's refusals
// (200001-200018).
const earlyFirstID = 200100

// crsRequestAttackFile matches the CRS's request files whose rules score:
// method enforcement (911) to Java attacks (944); 949 is the blocking
// evaluation itself.
var crsRequestAttackFile = regexp.MustCompile(`^REQUEST-9(1[1-9]|[23][0-9]|4[0-4])-`)

// crsIncludes writes the CRS's rule files in their order, one Include
// each (as "Include @owasp_crs/*.conf" would), with an early checkpoint
// after each request attack file, and one first for this module's own
// rules when they are loaded (detection).
func crsIncludes(b *strings.Builder, detection bool, paranoia int) {
	files, err := fs.Glob(coreruleset.FS, "@owasp_crs/*.conf")
	if err != nil || len(files) == 0 {
		// the embedded CRS has them; Coraza reports the glob as before
		b.WriteString("Include @owasp_crs/*.conf\n")
		return
	}
	slices.Sort(files)
	id := earlyFirstID
	if detection {
		writeCheckpoint(b, id, "the caddy-gateway rules", paranoia)
		id++
	}
	for _, f := range files {
		fmt.Fprintf(b, "Include %s\n", f)
		name := strings.TrimPrefix(f, "@owasp_crs/")
		if crsRequestAttackFile.MatchString(name) {
			writeCheckpoint(b, id, strings.TrimSuffix(name, ".conf"), paranoia)
			id++
		}
	}
}

// writeCheckpoint writes one early checkpoint (see crsIncludes). Its
// message reads as 949110's, with where it stopped and that the rules
// after it did not read the request (so whoever reads the log of a
// refusal after this module's rules knows the CRS may have refused it
// too): at paranoia 1 the level 1 score is the total.
func writeCheckpoint(b *strings.Builder, id int, after string, paranoia int) {
	score := "Total Score"
	if paranoia > 1 {
		score = "Paranoia Level 1 Score"
	}
	fmt.Fprintf(b, "SecRule TX:INBOUND_ANOMALY_SCORE_PL1 \"@ge %%{tx.inbound_anomaly_score_threshold}\" \"id:%d,phase:2,deny,status:403,t:none,log,msg:'Inbound Anomaly Score Exceeded (%s: %%{tx.inbound_anomaly_score_pl1}), early after %s; the rules after it not run',tag:'anomaly-evaluation',tag:'caddy-gateway',ver:'caddy-gateway'\"\n", id, score, after)
}

// isEarlyCheckpoint reports whether id is an early checkpoint's rule.
func isEarlyCheckpoint(id int) bool { return id >= earlyFirstID && id < earlyFirstID+20 }
