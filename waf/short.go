package waf

// shortPayloadRules refuse the shortest SQL and command injections, which
// the CRS at paranoia 1 lets through (its SQL rules want more than a
// quote and a comment, its command rules a longer list of commands than
// the probes' own): loaded with detectionRules (before the CRS; off with
// crs_only), on what those read.
//
//   - 210150: a quote closed and the rest of the statement commented out,
//     the login bypass admin'#, admin'--, admin')/*: a value that starts
//     with a word (a user name) and then a quote, optional closing
//     parentheses and a comment. Prose with a quote and a dash or a hash
//     later ("the 'best' -- really", "Joe's #1") does not start so.
//   - 210151: a shell command separator (; | || && & a backtick $( or a
//     line break) and a command that probes a host (id, whoami, uname,
//     ls, cat, sleep, ping, curl, wget, nc, sh, ...) at the end of the
//     value or before another separator, a comment, a closing ) or `, or
//     an option, a path, a variable, a quote or a number ("; id",
//     "| id", "&& id", "`id`", "x|id", "; sleep 5", "| cat /etc/passwd").
//     Prose with such a word after a semicolon ("bring it; cat lovers")
//     is not followed so.
const shortPayloadRules = `SecRule ARGS|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx ^\s*[\w.@+-]*['\"` + "`" + `]\)*\s*(?:#|--|/\*)" "id:210150,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection: a quote then a comment',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx (?:[;|&` + "`" + `\n]|\$\()\s*(?:id|whoami|uname|ls|pwd|ps|cat|head|tail|sleep|ping|nslookup|dig|host|curl|wget|nc|ncat|netcat|telnet|bash|sh|zsh|dash|ksh|busybox|python[23]?|perl|php|ruby|env|printenv|hostname|ifconfig|ip|netstat|reboot|shutdown|rm|chmod|echo)(?:\s*(?:$|[;|&` + "`" + `#)\n])|\s+[-/$'\"\d.~*])" "id:210151,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then a probing command',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
