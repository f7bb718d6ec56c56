package waf

// ssrfRules are the rules for server-side request forgery that the CRS's
// 934 family lets through (a twelfth fresh-eyes attack, attack 16).
// Filled by that attack's fixes.
var ssrfRules = ""
