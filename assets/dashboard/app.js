// The gateway's dashboard: reads state.json every second and shows it.
// Everything from the gateway is written with textContent, never as HTML:
// metadata and ids come from registrations, which anyone allowed to
// register can choose.
"use strict";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) {
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function ago(iso, now) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return s + "s ago";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s ago";
  return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m ago";
}

function table(headers, rows) {
  const head = el("tr", {}, ...headers.map((h) => el("th", {}, h)));
  const t = el("table", {}, el("thead", {}, head));
  const body = el("tbody");
  for (const r of rows) body.append(r);
  t.append(body);
  return t;
}

function cell(label, value, cls) {
  return el("td", { "data-label": label, class: cls || "" }, value);
}

function renderServices(state, now) {
  const box = document.getElementById("services");
  box.replaceChildren();
  if (state.services.length === 0) {
    box.append(el("p", { class: "muted" }, "no service registered"));
    return;
  }
  for (const svc of state.services) {
    const rows = svc.instances.map((inst) => {
      let health = inst.healthy ? "healthy" : "unhealthy";
      if (!inst.healthy && inst.unhealthy_since) health += " since " + ago(inst.unhealthy_since, now);
      const md = Object.entries(inst.metadata || {}).map(([k, v]) => k + "=" + v).join(", ");
      const lease = inst.lease_left_seconds === undefined ? "none" : Math.round(inst.lease_left_seconds) + "s left";
      const weight = inst.weight === 0 ? "0 (drained)" : String(inst.weight);
      return el("tr", { "data-instance": svc.name + "/" + inst.id },
        cell("id", inst.id, "mono"),
        cell("address", inst.address, "mono"),
        cell("health", health, "health " + (inst.healthy ? "healthy" : "unhealthy")),
        cell("checked", inst.checked_at ? ago(inst.checked_at, now) : "not checked"),
        cell("lease", lease),
        cell("weight", weight, inst.weight === 0 ? "drained" : ""),
        cell("metadata", md, "mono"));
    });
    box.append(el("h3", {}, svc.name + " (" + svc.instances.length + ")"),
      table(["id", "address", "health", "last check", "lease", "weight", "metadata"], rows));
  }
}

function renderConsumers(state) {
  const box = document.getElementById("consumers");
  box.replaceChildren();
  const c = state.consumers;
  if (!c || c.total === 0) {
    box.append(el("p", { class: "muted" }, "no consumer"));
    return;
  }
  const rows = c.listed.map((x) => {
    const keys = x.keys.map((k) => k.id + (k.name ? " (" + k.name + ")" : "") + (k.expires ? " until " + k.expires : "")).join(", ");
    const quotas = x.quota_error ? "unreadable: " + x.quota_error :
      x.quotas.map((q) => q.used + " / " + q.limit + " per " + q.period).join(", ");
    return el("tr", { "data-consumer": x.id },
      cell("id", x.id, "mono"),
      cell("plan", (x.plan || "none") + (x.disabled ? " (disabled)" : ""), x.disabled ? "unhealthy" : ""),
      cell("keys", keys || "no key", "mono"),
      cell("quota use", quotas || "no quota"));
  });
  let caption = c.total + " consumers, " + c.keys + " keys";
  if (c.total > c.listed.length) caption += "; the first " + c.listed.length + " by id";
  box.append(el("p", { class: "muted" }, caption), table(["id", "plan", "key ids", "quota use"], rows));
  const plans = Object.entries(c.requests_by_plan || {}).sort();
  if (plans.length) {
    const prow = plans.map(([p, d]) => el("tr", {}, cell("plan", p, "mono"), cell("allowed", d.allowed || 0),
      cell("over quota", d.over_quota || 0)));
    box.append(table(["plan", "allowed", "over quota"], prow));
  }
}

function renderCircuits(state) {
  const box = document.getElementById("circuits");
  box.replaceChildren();
  if (state.circuits.length === 0) {
    box.append(el("p", { class: "muted" }, "no circuit_breaker configured"));
    return;
  }
  for (const c of state.circuits) {
    const keys = Object.entries(c.keys).sort();
    const rows = keys.map(([k, s]) => el("tr", {}, cell("key", k || "(one circuit)", "mono"), cell("state", s, s)));
    box.append(el("h3", {}, c.name),
      rows.length ? table(["key", "state"], rows) : el("p", { class: "muted" }, "no request seen yet: closed"));
  }
}

function renderLoadShed(state) {
  const box = document.getElementById("loadshed");
  box.replaceChildren();
  const views = state.load_shed || [];
  if (views.length === 0) {
    box.append(el("p", { class: "muted" }, "no load_shed configured"));
    return;
  }
  for (const v of views) {
    const ms = (ns) => (ns / 1e6).toFixed(1) + " ms";
    const rows = v.keys.map((k) => el("tr", {}, cell("key", k.key || "(one limit)", "mono"), cell("limit", k.limit),
      cell("in flight", k.in_flight), cell("queued", k.queued), cell("shed", k.shed_queue_full + k.shed_max_wait),
      cell("least latency", ms(k.min_latency)), cell("latency", ms(k.latency))));
    box.append(el("h3", {}, v.name), rows.length
      ? table(["key", "limit", "in flight", "queued", "shed", "least latency", "latency"], rows)
      : el("p", { class: "muted" }, "no request seen yet"));
  }
}

function renderThrottle(state) {
  const box = document.getElementById("throttle");
  box.replaceChildren();
  const zones = state.throttle.zones;
  const decisions = state.throttle.decisions || {};
  if (zones.length === 0 && Object.keys(decisions).length === 0) {
    box.append(el("p", { class: "muted" }, "no throttle zone"));
    return;
  }
  const names = [...new Set([...zones.map((z) => z.name), ...Object.keys(decisions)])].sort();
  const rows = names.map((name) => {
    const z = zones.find((x) => x.name === name);
    const d = decisions[name] || {};
    return el("tr", {}, cell("zone", name, "mono"), cell("tracked keys", z ? z.tracked_keys : "–"),
      cell("allowed", d.allowed || 0), cell("refused", (d.refused || 0) + (d.dry_run_refused || 0)));
  });
  box.append(table(["zone", "tracked keys", "allowed", "refused"], rows));
}

function renderJWT(state) {
  const box = document.getElementById("jwt");
  box.replaceChildren();
  const o = state.jwt_auth.outcomes || {};
  for (const p of state.jwt_auth.identity_providers || []) {
    const keys = p.keys + " keys" + (p.last_success ? ", fetched " + p.last_success : ", never fetched");
    box.append(el("p", { class: p.last_error ? "error" : "muted" }, "provider " + p.issuer + ": " + keys +
      (p.last_error ? "; unreachable since " + p.last_error_at + " (" + p.last_error + "), " + (p.keys ? "keeping the last good keys" : "refusing its tokens") : "")));
  }
  if (Object.keys(o).length === 0) {
    box.append(el("p", { class: "muted" }, "no jwt_auth request yet"));
    return;
  }
  const rows = Object.entries(o).sort().map(([k, v]) => el("tr", {}, cell("outcome", k), cell("requests", v)));
  for (const [reason, v] of Object.entries(state.jwt_auth.refused || {}).sort()) {
    rows.push(el("tr", {}, cell("outcome", "refused: " + reason, "muted"), cell("requests", v)));
  }
  box.append(table(["outcome", "requests"], rows));
}

function renderCache(state) {
  const box = document.getElementById("cache");
  box.replaceChildren();
  const c = state.response_cache;
  const rq = c.requests || {};
  if (Object.keys(rq).length === 0) {
    box.append(el("p", { class: "muted" }, "no response_cache request yet"));
    return;
  }
  const rows = Object.entries(rq).sort().map(([k, v]) => el("tr", {}, cell("result", k), cell("requests", v)));
  rows.push(el("tr", {}, cell("result", "stored: " + c.keys + " keys", "muted"), cell("requests", Math.round(c.stored_bytes / 1024) + " KiB")));
  box.append(table(["result", "requests"], rows));
}

async function refresh() {
  const mode = document.getElementById("mode");
  try {
    const resp = await fetch("state.json", { cache: "no-store" });
    if (!resp.ok) throw new Error("state.json: " + resp.status);
    const state = await resp.json();
    const now = Date.parse(state.generated_at);
    let m = state.registry.instances + " instances; registry in " + state.registry.backend;
    if (state.registry.backend === "redis") m += state.registry.redis_reachable ? " (reachable)" : " (UNREACHABLE)";
    mode.textContent = m + "; updated " + new Date(now).toLocaleTimeString();
    mode.className = state.registry.redis_reachable === false ? "error" : "";
    renderServices(state, now);
    renderConsumers(state);
    renderCircuits(state);
    renderLoadShed(state);
    renderThrottle(state);
    renderJWT(state);
    renderCache(state);
  } catch (err) {
    mode.textContent = "cannot read the gateway's state: " + err.message;
    mode.className = "error";
  }
}

refresh();
setInterval(refresh, 1000);
