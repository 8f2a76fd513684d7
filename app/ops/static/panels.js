// Renders each panel of the ops page from the JSON it polled. DOM built with textContent only (no
// innerHTML): values come from the API and must never be interpreted as markup.
(function (global) {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (text instanceof Node) td.appendChild(text); else td.textContent = text === null || text === undefined ? "—" : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function rows(tbody, list, toCells) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    for (const item of list) {
      const tr = document.createElement("tr");
      for (const c of toCells(item)) tr.appendChild(c);
      tbody.appendChild(tr);
    }
  }

  function stats(dl, pairs) {
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    for (const [k, v, id] of pairs) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v === null || v === undefined ? "—" : String(v);
      if (id) dd.id = id;
      dl.appendChild(dt); dl.appendChild(dd);
    }
  }

  function badge(node, status) {
    node.textContent = status || "—";
    node.className = "badge " + (status === "pass" || status === "closed" || status === "redis" ? "pass"
      : status === "warn" || status === "half-open" || status === "memory" ? "warn"
      : status === "fail" || status === "open" ? "fail" : "");
  }

  function live(panel) {
    const node = $("panel-" + panel);
    node.dataset.state = "live";
    node.dataset.updated = String(Number(node.dataset.updated || 0) + 1);
  }

  function age(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.round(seconds);
    return s >= 3600 ? Math.floor(s / 3600) + "h" + Math.floor((s % 3600) / 60) + "m"
      : s >= 60 ? Math.floor(s / 60) + "m" + (s % 60) + "s" : s + "s";
  }

  function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }
  function pct(v) { return (100 * (v || 0)).toFixed(1) + " %"; }

  function health(doc) {
    badge($("health-status"), doc.status);
    badge($("overall"), doc.status);
    const list = [];
    for (const key of Object.keys(doc.checks || {}).sort()) for (const c of doc.checks[key]) list.push(c);
    rows($("health-rows"), list, function (c) {
      const s = document.createElement("span"); badge(s, c.status);
      const observed = c.observedValue === null || c.observedValue === undefined ? "—"
        : c.observedValue + (c.observedUnit ? " " + c.observedUnit : "");
      return [cell(c.componentId + (c.critical ? " *" : "")), cell(s), cell(observed, "num"), cell(c.output || "")];
    });
    live("health");
  }

  function workers(doc) {
    $("master").textContent = doc.underGunicorn ? "Gunicorn master " + doc.masterPid : "single process (no Gunicorn)";
    rows($("worker-rows"), doc.workers, function (w) {
      const m = document.createElement("meter");
      m.min = 0; m.max = doc.memoryLimitMb; m.high = 0.8 * doc.memoryLimitMb; m.value = w.memoryMb;
      const mem = document.createElement("span");
      mem.appendChild(m); mem.appendChild(document.createTextNode(" " + w.memoryMb.toFixed(1) + " MiB"));
      return [cell(w.pid, "num"), cell(age(w.ageSeconds), "num"), cell(w.requests, "num"),
              cell(w.cpuPercent.toFixed(1), "num"), cell(mem), cell(w.poolProcesses, "num")];
    });
    const rec = Object.keys(doc.recycles || {}).map(function (k) { return k + " " + doc.recycles[k]; });
    $("recycles").textContent = "Recycle limit " + doc.memoryLimitMb + " MiB · recycles: " + (rec.length ? rec.join(", ") : "none");
    live("workers");
  }

  function cache(c) {
    badge($("cache-backend"), c.backend);
    stats($("cache-stats"), [["hit rate", pct(c.hitRate), "cache-hit-rate"], ["hits", c.hits], ["misses", c.misses],
      ["sets", c.sets], ["errors", c.errors], ["workers on fallback", c.workersOnFallback],
      ["switches to fallback", c.fallbackSwitches], ["reason", c.reason || "—"]]);
    live("cache");
  }

  // Pool gauges are merged over workers (livesum); the health check only speaks for the answering worker.
  function images(section, samples, check) {
    const busy = section && section.busy !== undefined ? section.busy : PromText.sum(samples, "techno_etl_images_pool_busy");
    const queued = section && section.queued !== undefined ? section.queued : PromText.sum(samples, "techno_etl_images_pool_queue_depth");
    const done = PromText.sum(samples, "techno_etl_images_tasks_total");
    const failed = PromText.sum(samples, "techno_etl_images_tasks_total", function (l) { return l.outcome !== "ok"; });
    badge($("images-status"), check ? check.status : null);
    stats($("images-stats"), [["busy", busy, "images-busy"], ["queued", queued, "images-queued"],
      ["tasks", done], ["not ok", failed], ["this worker", check ? check.output : "—"]]);
    live("images");
  }

  function breakers(section) {
    const names = Object.keys(section || {});
    stats($("breaker-stats"), names.length ? names.map(function (n) {
      const b = section[n];
      return [n, (b.state || "no breaker") + (b.failures ? " · " + b.failures + " failures" : "")];
    }) : [["breakers", "off (BREAKERS_ENABLED=false)"]]);
    live("breakers");
  }

  function sync(section, jobs) {
    const last = Object.keys(section.lastSuccess || {}).map(function (k) { return k + " " + when(section.lastSuccess[k]); });
    stats($("sync-stats"), [["succeeded", section.success, "sync-success"], ["failed/partial", section.failures],
      ["success rate", pct(section.successRate)], ["p95 duration", section.durationP95 === null ? "—" : section.durationP95 + " s"],
      ["last success", last.length ? last.join(" · ") : "never"], ["jobs listed", jobs.totalCount, "sync-total"]]);
    rows($("job-rows"), jobs.data, function (j) {
      const p = document.createElement("progress");
      const total = (j.progress && j.progress.total) || 0, done = (j.progress && j.progress.done) || 0;
      p.max = total || 1; p.value = total ? done : (j.status === "succeeded" ? 1 : 0);
      const wrap = document.createElement("span");
      wrap.appendChild(p); wrap.appendChild(document.createTextNode(" " + done + "/" + total));
      return [cell(j.id, "num"), cell(j.kind), cell(j.status + (j.waitingOn ? " (" + j.waitingOn + ")" : "")),
              cell(wrap), cell(when(j.createdAt)), cell(when(j.finishedAt))];
    });
    rows($("schedule-rows"), (section.schedule || []).filter(function (s) { return !s.error; }), function (s) {
      return [cell(s.name), cell(s.cron + " (" + s.timezone + ")"), cell(when(s.nextRun)), cell(when(s.lastRun))];
    });
    live("sync");
  }

  global.Panels = { health: health, workers: workers, cache: cache, images: images, breakers: breakers, sync: sync,
                    live: live, $: $ };
})(window);
