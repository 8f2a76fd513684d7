// Prometheus text exposition -> samples, and histogram_quantile over the increase between two scrapes.
// Why parse the exposition: the JSON views give percentiles since the start (cumulative), while a live
// chart needs the latency of the last few seconds, which only the bucket counters can give.
(function (global) {
  "use strict";
  const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

  function parse(text) {
    const out = {};
    for (const line of text.split("\n")) {
      if (!line || line[0] === "#") continue;
      const m = LINE.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[2] || "").matchAll(LABEL)) labels[l[1]] = l[2];
      (out[m[1]] = out[m[1]] || []).push({ labels: labels, value: parseFloat(m[3]) });
    }
    return out;
  }

  function sum(samples, name, filter) {
    let total = 0;
    for (const s of samples[name] || []) if (!filter || filter(s.labels)) total += s.value;
    return total;
  }

  // Cumulative bucket counts summed over every label but `le`: {le: count}.
  function buckets(samples, name) {
    const out = {};
    for (const s of samples[name + "_bucket"] || []) out[s.labels.le] = (out[s.labels.le] || 0) + s.value;
    return out;
  }

  // PromQL's histogram_quantile over (now - before) bucket increases; null when nothing was observed.
  function quantile(q, now, before) {
    const pairs = Object.keys(now).map(function (le) {
      return [le === "+Inf" ? Infinity : parseFloat(le), now[le] - ((before && before[le]) || 0)];
    }).sort(function (a, b) { return a[0] - b[0]; });
    if (!pairs.length || pairs[pairs.length - 1][1] <= 0) return null;
    const rank = q * pairs[pairs.length - 1][1];
    let prevBound = 0, prevCount = 0;
    for (const [bound, count] of pairs) {
      if (count >= rank) {
        if (bound === Infinity) return prevBound;
        if (count === prevCount) return bound;
        return prevBound + (bound - prevBound) * (rank - prevCount) / (count - prevCount);
      }
      prevBound = bound; prevCount = count;
    }
    return prevBound;
  }

  global.PromText = { parse: parse, sum: sum, buckets: buckets, quantile: quantile };
})(window);
