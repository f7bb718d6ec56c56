package waf

// sqlFunctionRules are the rules for SQL injection through functions the
// CRS and libinjection do not name (a twelfth fresh-eyes attack, attack
// 16: json_valid, ISJSON, unlikely, ...). Filled by that attack's fixes.
var sqlFunctionRules = ""
