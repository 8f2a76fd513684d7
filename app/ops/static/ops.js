// The ops page's controller: sign-in (a token, or POST /api/auth/login), then a polling loop over the
// viewer endpoints. The token lives in sessionStorage only (gone when the tab closes).
(function () {
  "use strict";
  const $ = Panels.$;
  const KEY = "technoEtlToken";
  const params = new URLSearchParams(location.search);
  const INTERVAL = Math.max(1000, Number(params.get("interval") || 3000));
  const JOBS_EVERY = 3;         // /api/sync/jobs is rate-limited like any API route: poll it less often
  const CAPACITY = 60;          // points per chart
  const history = { rate: [], p50: [], p95: [], p99: [], errors: [] };
  let previous = null;          // {t, total, errors, buckets} of the last scrape
  let timer = null, tick = 0;

  class AuthError extends Error {}

  async function get(path, asText) {
    const resp = await fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) }, cache: "no-store" });
    if (resp.status === 401 || resp.status === 403) throw new AuthError(resp.status === 401 ? "token refused (401)" : "viewer role needed (403)");
    if (!resp.ok && resp.status !== 503) throw new Error(path + ": HTTP " + resp.status);  // 503 = health fail, still a document
    return asText ? resp.text() : resp.json();
  }

  function push(series, value) { series.push(value); if (series.length > CAPACITY) series.shift(); }

  function charts(samples, req) {
    const now = performance.now() / 1000;
    const total = PromText.sum(samples, "techno_etl_http_request_total");
    const errors = PromText.sum(samples, "techno_etl_http_request_total", function (l) { return /^[45]/.test(l.status || ""); });
    const buckets = PromText.buckets(samples, "techno_etl_http_request_duration_seconds");
    if (previous) {
      const dt = Math.max(now - previous.t, 1e-3), dn = Math.max(total - previous.total, 0);
      const ms = function (q) { const v = PromText.quantile(q, buckets, previous.buckets); return v === null ? null : v * 1000; };
      push(history.rate, dn / dt);
      push(history.p50, ms(0.5)); push(history.p95, ms(0.95)); push(history.p99, ms(0.99));
      push(history.errors, dn ? 100 * Math.max(errors - previous.errors, 0) / dn : 0);
      Charts.draw($("chart-rate"), [history.rate], CAPACITY);
      Charts.draw($("chart-latency"), [history.p50, history.p95, history.p99], CAPACITY);
      Charts.draw($("chart-errors"), [history.errors], CAPACITY);
      const last = function (s) { const v = s[s.length - 1]; return v === null || v === undefined ? "—" : v.toFixed(1); };
      $("rate-now").textContent = last(history.rate);
      $("lat-now").textContent = last(history.p50) + " / " + last(history.p95) + " / " + last(history.p99);
      $("err-now").textContent = last(history.errors);
      Panels.live("charts");
    }
    previous = { t: now, total: total, errors: errors, buckets: buckets };
    $("req-totals").textContent = "Since start: " + req.total + " requests, " + req.errors + " errors (" +
      (100 * req.errorRate).toFixed(2) + " %), p95 " + (req.p95ResponseTime === null ? "—" : req.p95ResponseTime + " ms") +
      ", " + req.rate + " req/s on average";
  }

  async function poll() {
    try {
      const wantJobs = tick % JOBS_EVERY === 0;
      const [healthDoc, metrics, workers, text, jobs] = await Promise.all([
        get("/api/health/detailed"), get("/api/metrics"), get("/api/metrics/workers"),
        get("/api/metrics/prometheus", true), wantJobs ? get("/api/sync/jobs?limit=8") : Promise.resolve(null),
      ]);
      const samples = PromText.parse(text);
      Panels.health(healthDoc);
      Panels.workers(workers);
      Panels.cache(metrics.cache);
      const poolCheck = ((healthDoc.checks || {})["image_pool:utilization"] || [])[0];
      Panels.images(metrics.images, samples, poolCheck);
      Panels.breakers(metrics.breakers);
      if (jobs) Panels.sync(metrics.sync, jobs);
      charts(samples, metrics.requests);
      tick += 1;
      $("clock").textContent = "updated " + new Date().toLocaleTimeString() + " · every " + INTERVAL / 1000 + " s";
      $("poll-status").textContent = "";
    } catch (err) {
      if (err instanceof AuthError) { signOut(err.message); return; }
      $("poll-status").textContent = "Poll failed: " + err.message + " (retrying)";
    }
    timer = setTimeout(poll, INTERVAL);
  }

  function signIn(token) {
    sessionStorage.setItem(KEY, token);
    $("login-box").hidden = true; $("dashboard").hidden = false; $("logout").hidden = false;
    $("login-status").textContent = "";
    clearTimeout(timer); previous = null; tick = 0;
    poll();
  }

  function signOut(message) {
    clearTimeout(timer);
    sessionStorage.removeItem(KEY);
    $("login-box").hidden = false; $("dashboard").hidden = true; $("logout").hidden = true;
    $("login-status").textContent = message || "";
  }

  $("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const token = $("token").value.trim();
    if (token) signIn(token);
  });
  $("login-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    $("login-status").textContent = "Logging in…";
    try {
      const resp = await fetch("/api/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: $("username").value, password: $("password").value }) });
      const body = await resp.json();
      $("password").value = "";
      if (!resp.ok) { $("login-status").textContent = body.message || ("Login failed (" + resp.status + ")"); return; }
      signIn(body.token);
    } catch (err) { $("login-status").textContent = "Login failed: " + err.message; }
  });
  $("logout").addEventListener("click", function () { signOut("Signed out."); });
  if (sessionStorage.getItem(KEY)) signIn(sessionStorage.getItem(KEY));
})();
