// The dashboard's traffic: reads traffic.json every second and draws it,
// per service, zone and plan, as inline SVG (no library, nothing fetched
// from elsewhere). The first read takes the whole window; later reads
// take only the seconds after the last one seen (?since=), with the totals
// over the window. Names come from the gateway's config and registrations:
// they are written with textContent and attributes, never as HTML.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const W = 600, H = 90; // the charts' viewBox; CSS stretches them to the page's width

const traffic = {
  window: 300, // seconds shown
  from: 0, to: 0, // the seconds held, inclusive (to < from: none yet)
  services: new Map(), zones: new Map(), plans: new Map(),
  stored: [], marks: [], totals: new Map(), bound: 0,
};

// the per-second arrays of each kind of series
const SERVICE_KEYS = ["requests", "2xx", "3xx", "4xx", "5xx", "refused_401", "refused_403", "refused_429",
  "refused_503_circuit", "refused_503_shed", "cache_hit", "cache_miss", "p50_ms", "p99_ms"];
const ZONE_KEYS = ["allowed", "refused"];
const PLAN_KEYS = ["allowed", "over_quota"];

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function sum(a) { let s = 0; for (const v of a) s += v || 0; return s; }
function peak(a) { let m = 0; for (const v of a) if (v > m) m = v; return m; }
function fmtMs(v) { return v == null ? "–" : (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)) + " ms"; }
function fmtBytes(b) { return b < 1024 ? b + " B" : b < 1 << 20 ? (b / 1024).toFixed(1) + " KiB" : (b / (1 << 20)).toFixed(1) + " MiB"; }
function span(seconds) { return seconds % 60 === 0 ? seconds / 60 + " min" : seconds + " s"; }
function clock(unix) { return new Date(unix * 1000).toLocaleTimeString(); }

// merge appends a response's seconds to the held series of one kind,
// filling zeros (or nulls) for series absent from either side, and drops
// series with nothing left in the window.
function merge(held, list, keys, n, keep) {
  const seen = new Set();
  for (const s of list) {
    seen.add(s.name);
    let h = held.get(s.name);
    if (!h) {
      h = {};
      for (const k of keys) h[k] = new Array(keep).fill(k.endsWith("_ms") ? null : 0);
      held.set(s.name, h);
    }
    for (const k of keys) h[k].push(...s[k]);
    h.total = s.total;
  }
  for (const [name, h] of held) {
    if (!seen.has(name)) for (const k of keys) for (let i = 0; i < n; i++) h[k].push(k.endsWith("_ms") ? null : 0);
  }
  for (const [name, h] of held) {
    for (const k of keys) if (h[k].length > traffic.window) h[k].splice(0, h[k].length - traffic.window);
    if (!seen.has(name) && keys.every((k) => k.endsWith("_ms") || sum(h[k]) === 0)) held.delete(name);
  }
}

function absorb(v) {
  const n = v.to - v.from + 1;
  const keep = traffic.to >= traffic.from ? traffic.to - traffic.from + 1 : 0;
  merge(traffic.services, v.services, SERVICE_KEYS, n, keep);
  merge(traffic.zones, v.throttle_zones, ZONE_KEYS, n, keep);
  merge(traffic.plans, v.plans, PLAN_KEYS, n, keep);
  traffic.stored.push(...v.cache_stored_bytes);
  if (traffic.stored.length > traffic.window) traffic.stored.splice(0, traffic.stored.length - traffic.window);
  traffic.marks.push(...v.circuit_marks);
  if (n > 0) traffic.to = v.to;
  traffic.from = traffic.to - traffic.window + 1;
  const first = traffic.from;
  traffic.marks = traffic.marks.filter((m) => Date.parse(m.at) / 1000 >= first);
  traffic.order = v.services.map((s) => s.name);
  traffic.bound = v.memory_bound_bytes;
}

// x of second i of the window
function xAt(i) { return (i / traffic.window) * W; }

// stacked step areas: layers of per-second values, bottom first
function stacked(layers, label) {
  const n = traffic.window;
  const total = new Array(n).fill(0);
  for (const l of layers) for (let i = 0; i < n; i++) total[i] += l.values[i] || 0;
  const top = Math.max(1, peak(total));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "chart", role: "img", "aria-label": label },
    svg("title", {}, label));
  const base = new Array(n).fill(0);
  for (const l of layers) {
    let up = "", down = "";
    for (let i = 0; i < n; i++) {
      const v = l.values[i] || 0;
      const y0 = H - (base[i] / top) * H, y1 = H - ((base[i] + v) / top) * H;
      up += (i === 0 ? "M" : "L") + xAt(i).toFixed(1) + " " + y1.toFixed(1) + "L" + xAt(i + 1).toFixed(1) + " " + y1.toFixed(1);
      down = "L" + xAt(i + 1).toFixed(1) + " " + y0.toFixed(1) + "L" + xAt(i).toFixed(1) + " " + y0.toFixed(1) + down;
      base[i] += v;
    }
    if (sum(l.values) > 0) chart.append(svg("path", { d: up + down + "Z", class: "area " + l.cls }, svg("title", {}, l.name + ": " + sum(l.values))));
  }
  return chart;
}

// latency lines (p50, p99), broken where a second had no answer
function lines(series, label) {
  let top = 1;
  for (const s of series) top = Math.max(top, peak(s.values.map((v) => v || 0)));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "chart", role: "img", "aria-label": label },
    svg("title", {}, label));
  for (const s of series) {
    let d = "", pen = false;
    s.values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      const y = (H - (v / top) * (H - 2)).toFixed(1);
      d += (pen ? "L" : "M") + xAt(i).toFixed(1) + " " + y + "L" + xAt(i + 1).toFixed(1) + " " + y;
      pen = true;
    });
    if (d) chart.append(svg("path", { d, class: "line " + s.cls, "vector-effect": "non-scaling-stroke" }));
  }
  return chart;
}

// circuit marks as vertical lines, each with its title
function addMarks(chart, marks) {
  for (const m of marks) {
    const sec = Math.floor(Date.parse(m.at) / 1000);
    const x = xAt(sec - traffic.from).toFixed(1);
    const text = "circuit " + (m.key || "(one circuit)") + " " + m.to + " at " + clock(sec) + " (" + m.breaker + ")";
    chart.append(svg("line", { x1: x, x2: x, y1: 0, y2: H, class: "mark " + m.to, "vector-effect": "non-scaling-stroke" },
      svg("title", {}, text)));
  }
}

function totalsTable(pairs) {
  const row = el("tr", {}, ...pairs.map(([k, v]) => cell(k, v)));
  return table(pairs.map(([k]) => k), [row]);
}

function renderService(name, h) {
  const t = h.total;
  const w = span(traffic.window);
  const last10 = sum(h.requests.slice(-10)) / 10;
  const refused = t.refused_401 + t.refused_403 + t.refused_429 + t.refused_503_circuit + t.refused_503_shed;
  const label = `${name}: ${t.requests} requests in the last ${w} (peak ${peak(h.requests)}/s): ` +
    `${t["2xx"]} 2xx, ${t["4xx"]} 4xx, ${t["5xx"]} 5xx, ${refused} refused`;
  const reqChart = stacked([
    { name: "2xx and 3xx", cls: "ok", values: h["2xx"].map((v, i) => v + h["3xx"][i]) },
    { name: "4xx", cls: "warn", values: h["4xx"].map((v, i) => v - h.refused_401[i] - h.refused_403[i] - h.refused_429[i]) },
    { name: "refused", cls: "refused", values: h.refused_401.map((v, i) => v + h.refused_403[i] + h.refused_429[i] + h.refused_503_circuit[i] + h.refused_503_shed[i]) },
    { name: "5xx", cls: "bad", values: h["5xx"].map((v, i) => v - h.refused_503_circuit[i] - h.refused_503_shed[i]) },
  ], label);
  const marks = traffic.marks.filter((m) => m.key === name);
  addMarks(reqChart, marks);
  const latLabel = `${name}: latency in the last ${w}: p50 ${fmtMs(t.p50_ms)}, p99 ${fmtMs(t.p99_ms)}; worst second's p99 ${fmtMs(peak(h.p99_ms.map((v) => v || 0)))}`;
  const latChart = lines([{ cls: "p99", values: h.p99_ms }, { cls: "p50", values: h.p50_ms }], latLabel);
  addMarks(latChart, marks);
  const hits = t.cache_hit + t.cache_miss ? Math.round((100 * t.cache_hit) / (t.cache_hit + t.cache_miss)) + "%" : "–";
  const box = el("article", { class: "card", "data-traffic-service": name },
    el("h3", {}, name),
    el("p", { class: "summary" }, `${last10.toFixed(1)} req/s now · p50 ${fmtMs(t.p50_ms)} · p99 ${fmtMs(t.p99_ms)} · ` +
      (t.requests ? Math.round((100 * t["5xx"]) / t.requests) : 0) + "% 5xx"),
    el("p", { class: "legend" }, el("span", { class: "key ok" }, "2xx/3xx"), el("span", { class: "key warn" }, "4xx"),
      el("span", { class: "key refused" }, "refused"), el("span", { class: "key bad" }, "5xx"),
      marks.length ? el("span", { class: "key mark" }, marks.length + " circuit change" + (marks.length > 1 ? "s" : "")) : ""),
    reqChart,
    el("p", { class: "legend" }, el("span", { class: "key p50" }, "p50"), el("span", { class: "key p99" }, "p99"),
      el("span", { class: "muted" }, "peak " + fmtMs(peak(h.p99_ms.map((v) => v || 0))))),
    latChart,
    totalsTable([["requests", t.requests], ["2xx", t["2xx"]], ["3xx", t["3xx"]], ["4xx", t["4xx"]], ["5xx", t["5xx"]],
      ["401", t.refused_401], ["403 waf", t.refused_403], ["429", t.refused_429], ["503 circuit", t.refused_503_circuit],
      ["503 shed", t.refused_503_shed], ["cache hits", hits]]));
  return box;
}

function renderSimple(kind, name, h, layers, pairs) {
  const label = `${kind} ${name} in the last ${span(traffic.window)}: ` + pairs.map(([k, v]) => v + " " + k).join(", ");
  return el("article", { class: "card small", ["data-traffic-" + kind]: name },
    el("h3", {}, name), stacked(layers, label), totalsTable(pairs));
}

function renderTraffic() {
  const box = document.getElementById("traffic");
  box.replaceChildren();
  const names = (traffic.order || []).filter((n) => traffic.services.has(n));
  for (const n of traffic.services.keys()) if (!names.includes(n)) names.push(n);
  if (names.length === 0) box.append(el("p", { class: "muted" }, "no request in the last " + span(traffic.window)));
  for (const n of names) box.append(renderService(n, traffic.services.get(n)));

  const zones = document.getElementById("traffic-zones");
  zones.replaceChildren();
  for (const [n, h] of [...traffic.zones].sort()) {
    zones.append(renderSimple("zone", n, h, [{ name: "allowed", cls: "ok", values: h.allowed }, { name: "refused", cls: "refused", values: h.refused }],
      [["allowed", sum(h.allowed)], ["refused", sum(h.refused)]]));
  }
  if (!zones.childElementCount) zones.append(el("p", { class: "muted" }, "no throttle decision in the window"));

  const plans = document.getElementById("traffic-plans");
  plans.replaceChildren();
  for (const [n, h] of [...traffic.plans].sort()) {
    plans.append(renderSimple("plan", n, h, [{ name: "counted", cls: "ok", values: h.allowed }, { name: "over quota", cls: "refused", values: h.over_quota }],
      [["counted", sum(h.allowed)], ["over quota", sum(h.over_quota)]]));
  }
  if (!plans.childElementCount) plans.append(el("p", { class: "muted" }, "no consumer's request in the window"));

  const cache = document.getElementById("traffic-cache");
  cache.replaceChildren();
  let hit = 0, miss = 0;
  for (const h of traffic.services.values()) { hit += h.total.cache_hit; miss += h.total.cache_miss; }
  let last = null;
  const stored = traffic.stored.map((v) => (v == null ? last : (last = v)));
  const now = last == null ? "–" : fmtBytes(last);
  const ratio = hit + miss ? Math.round((100 * hit) / (hit + miss)) + "%" : "–";
  const label = `response_cache in the last ${span(traffic.window)}: ${hit} hits, ${miss} misses (${ratio}); ${now} stored`;
  cache.append(el("article", { class: "card small", "data-traffic-cache": "" }, el("h3", {}, "stored bytes"),
    lines([{ cls: "p50", values: stored }], label),
    totalsTable([["hits", hit], ["misses", miss], ["hit ratio", ratio], ["stored", now]])));

  const marks = document.getElementById("traffic-marks");
  marks.replaceChildren();
  const rows = traffic.marks.slice().reverse().map((m) => el("tr", {}, cell("time", clock(Date.parse(m.at) / 1000)),
    cell("breaker", m.breaker, "mono"), cell("key", m.key || "(one circuit)", "mono"), cell("to", m.to, m.to)));
  marks.append(rows.length ? table(["time", "breaker", "key", "now"], rows) : el("p", { class: "muted" }, "no circuit changed state in the window"));

  document.getElementById("traffic-note").textContent = "last " + span(traffic.window) + " to " + clock(traffic.to) +
    ", per second; kept in at most " + fmtBytes(traffic.bound) + " of memory";
}

let busy = false, generation = 0;

async function refreshTraffic() {
  if (busy) return; // one read at a time: each takes the seconds after the last one held
  busy = true;
  const gen = generation;
  try {
    const fresh = traffic.to < traffic.from;
    const q = "traffic.json?window=" + traffic.window + (fresh ? "" : "&since=" + traffic.to);
    const resp = await fetch(q, { cache: "no-store" });
    if (!resp.ok) throw new Error("traffic.json: " + resp.status);
    const v = await resp.json();
    if (gen !== generation) return; // the window changed meanwhile
    absorb(v);
    renderTraffic();
  } catch (err) {
    document.getElementById("traffic-note").textContent = "cannot read the traffic: " + err.message;
  } finally {
    busy = false;
  }
}

function setWindow(seconds) {
  generation++;
  busy = false;
  traffic.window = seconds;
  traffic.from = 1; traffic.to = 0; // read the whole window again
  traffic.services.clear(); traffic.zones.clear(); traffic.plans.clear();
  traffic.stored = []; traffic.marks = [];
  for (const b of document.querySelectorAll("[data-window]")) b.setAttribute("aria-pressed", String(Number(b.dataset.window) === seconds));
  refreshTraffic();
}

for (const b of document.querySelectorAll("[data-window]")) b.addEventListener("click", () => setWindow(Number(b.dataset.window)));
traffic.from = 1; traffic.to = 0;
refreshTraffic();
setInterval(refreshTraffic, 1000);
