// Hand-made SVG line charts: a few polylines over a rolling window, no library and no inline style
// (the page's CSP is default-src 'self'; charting libraries that set style attributes would need 'unsafe-inline').
(function (global) {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const W = 320, H = 120, PAD_L = 34, PAD_B = 14, PAD_T = 6;

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function fmt(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }

  // series: [[number|null, ...], ...] sharing one x axis (one point per poll); capacity = points shown.
  function draw(svg, series, capacity) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    let max = 0;
    for (const s of series) for (const v of s) if (v !== null && v > max) max = v;
    max = niceMax(max);
    const plotW = W - PAD_L - 4, plotH = H - PAD_T - PAD_B;
    for (let i = 0; i <= 2; i++) {
      const y = PAD_T + plotH * i / 2;
      svg.appendChild(el("line", { class: "grid", x1: PAD_L, x2: W - 4, y1: y, y2: y }));
      svg.appendChild(el("text", { class: "axis", x: PAD_L - 3, y: y + 3, "text-anchor": "end" }, fmt(max * (1 - i / 2))));
    }
    svg.appendChild(el("text", { class: "axis", x: W - 4, y: H - 2, "text-anchor": "end" }, "now"));
    series.forEach(function (s, idx) {
      const pts = [];
      const offset = capacity - s.length;
      s.forEach(function (v, i) {
        if (v === null) return;
        const x = PAD_L + plotW * (offset + i) / Math.max(capacity - 1, 1);
        pts.push(x.toFixed(1) + "," + (PAD_T + plotH * (1 - v / max)).toFixed(1));
      });
      svg.appendChild(el("polyline", { class: "s" + idx, points: pts.join(" ") }));
    });
    svg.setAttribute("data-points", String(series[0] ? series[0].length : 0));
  }

  global.Charts = { draw: draw };
})(window);
