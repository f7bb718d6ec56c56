package waf

// xmlRules refuse what makes an XML parser reach out, which the CRS at
// paranoia 1 and the gateway's XML reading (xmlArguments: declarations
// such as DOCTYPE are inspected as the argument xml.directive) let
// through: loaded with detectionRules (before the CRS; off with
// crs_only), on the arguments, so on an XML body's declarations and on
// text files' contents (an SVG upload) alike.
//
//   - 210160: a document type with an external identifier,
//     <!DOCTYPE r SYSTEM "http://..."> or PUBLIC "..." "...", with no
//     ENTITY in the request: a parser that loads external DTDs (Java's
//     DocumentBuilderFactory and Xerces by default, libxml2 with DTDLOAD,
//     .NET's XmlDocument on old frameworks) fetches it, which is SSRF, and
//     out-of-band XXE when the fetched DTD defines the entities that read
//     and send files. The W3C's own document types (XHTML, SVG, MathML:
//     PUBLIC "-//W3C//..." with a system identifier on www.w3.org) pass:
//     documents carry them, and parsers resolve them from catalogs.
//   - 210161: an XSLT probe or file read, system-property('xsl:...') and
//     unparsed-text(...), in an argument: a stylesheet sent as data to a
//     service that runs it.
const xmlRules = `SecRule ARGS "@rx (?i)(?:^|<!)\s*DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM|PUBLIC)\b" "id:210160,phase:2,block,t:none,msg:'XXE: a document type with an external identifier',tag:'application-multi',tag:'attack-xxe',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "!@rx (?i)DOCTYPE\s+[^\s\[>]+\s+PUBLIC\s+[\"']-//W3C//[^\"']*[\"']\s+[\"']https?://www\.w3\.org/[^\"'\s]*[\"']\s*(?:>|\[|$)" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS "@rx (?i)\bsystem-property\s*\(\s*[\"']xsl:|\bunparsed-text(?:-lines|-available)?\s*\(" "id:210161,phase:2,block,t:none,t:urlDecodeUni,msg:'XSLT injection: a probe or a file read',tag:'application-multi',tag:'attack-injection-xslt',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
