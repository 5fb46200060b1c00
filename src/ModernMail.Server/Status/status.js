// The status page's one script: on load and every 30 s, fetch /v1/status/depth (same origin, same access rule as the
// page) and update the three counts and the chart; <html data-depth-source="api"> says the last update came through. Text goes in with textContent only; nothing is parsed as HTML.
"use strict";
(function () {
  const svgNs = "http://www.w3.org/2000/svg";
  const states = ["queued", "delivering", "deferred"];

  function redraw(depth) {
    if (depth.now) {
      for (const state of states) {
        const cell = document.getElementById("depth-" + state);
        if (cell) { cell.textContent = String(depth.now[state]); }
      }
    }
    const chart = document.getElementById("depth-chart");
    if (!chart) { return; }
    const width = 720, height = 160;
    const end = Date.now(), start = end - 3600 * 1000;
    const samples = depth.now ? depth.samples.concat([depth.now]) : depth.samples;
    let max = 1;
    for (const s of samples) { max = Math.max(max, s.queued, s.delivering, s.deferred); }
    chart.dataset.max = String(max);
    const label = chart.querySelector("text");
    if (label) { label.textContent = String(max); }
    for (const state of states) {
      const line = chart.querySelector("polyline." + state) || chart.appendChild(document.createElementNS(svgNs, "polyline"));
      line.setAttribute("class", state);
      const points = samples.map(function (s) {
        const x = Math.min(Math.max((Date.parse(s.at) - start) / (end - start), 0), 1) * width;
        const y = height - s[state] / max * (height - 20);
        return x.toFixed(1) + "," + y.toFixed(1);
      });
      line.setAttribute("points", points.join(" "));
    }
  }

  async function refresh() {
    try {
      const response = await fetch("/v1/status/depth", { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        redraw(await response.json());
        document.documentElement.dataset.depthSource = "api";
      }
    } catch (e) {
      // The server is restarting or unreachable: keep the last numbers; the next tick tries again.
    }
  }

  refresh();
  window.setInterval(refresh, 30000);
})();
