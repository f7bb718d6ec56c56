package waf

// gadgetRules are the rules for deserialization and expression-language
// payloads the CRS lets through (a twelfth fresh-eyes attack, attack 16).
// Filled by that attack's fixes.
var gadgetRules = ""
