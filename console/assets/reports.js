// The reports dashboard: refreshes its figures every 15 seconds, draws the
// time series and, when boundaries are loaded, a choropleth of the
// provinces (or regions). Without script the page shows the same figures
// as tables. Plain JavaScript, no framework, no tiles (offline-capable).
(function () {
  "use strict";
  var root = document.getElementById("rep-root");
  if (!root) { return; }
  var T = {};
  try { T = JSON.parse(document.getElementById("rep-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(k) { return T[k] || k; }
  var query = root.dataset.query || "";
  var loaded = {};
  try { loaded = JSON.parse(root.dataset.boundaries || "{}") || {}; } catch (e) { /* none */ }
  var NS = "http://www.w3.org/2000/svg";
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function table(id, rows, cols) {
    var tb = $(id) && $(id).tBodies[0];
    if (!tb) { return; }
    tb.textContent = "";
    if (!rows || !rows.length) {
      var tr0 = el("tr");
      tr0.appendChild(el("td", { colspan: String(cols.length) }, t("rep.none")));
      tb.appendChild(tr0);
      return;
    }
    rows.forEach(function (r) {
      var tr = el("tr", { "data-code": r.code || "" });
      cols.forEach(function (c, i) { tr.appendChild(el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, String(c(r)))); });
      tb.appendChild(tr);
    });
  }

  // ---- Time series: bars, one per bucket.
  function series(points) {
    var box = $("rep-series");
    box.textContent = "";
    var w = 900, h = 180, pad = 24;
    var s = svgEl("svg", { viewBox: "0 0 " + w + " " + (h + pad), "class": "rep-svg", role: "img", "aria-label": t("rep.series") });
    var top = 1;
    (points || []).forEach(function (p) { top = Math.max(top, p.n); });
    var n = Math.max((points || []).length, 1), bw = (w - pad) / n;
    s.appendChild(svgEl("line", { x1: pad, y1: h, x2: w, y2: h, "class": "rep-axis" }));
    var lab = svgEl("text", { x: 2, y: 12, "class": "rep-tick" });
    lab.textContent = String(top);
    s.appendChild(lab);
    (points || []).forEach(function (p, i) {
      var bh = (h - 10) * p.n / top;
      var r = svgEl("rect", { x: (pad + i * bw + bw * 0.1).toFixed(1), y: (h - bh).toFixed(1), width: Math.max(bw * 0.8, 1).toFixed(1),
        height: bh.toFixed(1), "class": "rep-bar" });
      var tt = svgEl("title");
      tt.textContent = new Date(p.at).toLocaleString(document.documentElement.lang) + ": " + p.n;
      r.appendChild(tt);
      s.appendChild(r);
      if (i % Math.ceil(n / 12) === 0) {
        var tx = svgEl("text", { x: (pad + i * bw).toFixed(1), y: h + 16, "class": "rep-tick" });
        var d = new Date(p.at);
        tx.textContent = n > 48 ? d.toLocaleDateString(document.documentElement.lang, { day: "2-digit", month: "2-digit" })
          : d.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
        s.appendChild(tx);
      }
    });
    box.appendChild(s);
  }

  // ---- Choropleth: provinces when loaded, else regions.
  var level = loaded.provincia ? "provincia" : loaded.regione ? "regione" : "";
  var shapes = null;
  var box = { x0: 6.5, x1: 18.6, y0: 35.4, y1: 47.2 }, k = Math.cos(42 * Math.PI / 180);
  function px(lon) { return (lon - box.x0) * k * 100; }
  function py(lat) { return (box.y1 - lat) * 100; }
  function ringPath(rings) {
    return rings.map(function (ring) {
      return "M" + ring.map(function (p) { return px(p[0]).toFixed(1) + "," + py(p[1]).toFixed(1); }).join("L") + "Z";
    }).join("");
  }
  if (level) {
    fetch("/reports/api/boundaries?level=" + level, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (fc) {
        var s = svgEl("svg", { viewBox: "0 0 " + Math.round((box.x1 - box.x0) * k * 100) + " " + Math.round((box.y1 - box.y0) * 100),
          "class": "ops-svg", role: "img", "aria-label": t("rep.map") });
        shapes = {};
        (fc.features || []).forEach(function (f) {
          var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
          var p = svgEl("path", { d: polys.map(ringPath).join(""), "class": "rep-shape", "data-code": f.properties.code });
          var tt = svgEl("title");
          tt.textContent = f.properties.name;
          p.appendChild(tt);
          shapes[f.properties.code] = { path: p, title: tt, name: f.properties.name };
          s.appendChild(p);
        });
        $("rep-map").appendChild(s);
        root.dataset.map = level;
        if (last) { paint(last); }
      }).catch(function () {});
  }

  function paint(d) {
    if (!shapes) { return; }
    var rows = level === "provincia" ? d.province : d.regioni;
    var counts = {}, top = 0;
    (rows || []).forEach(function (r) { counts[r.code] = r.n; top = Math.max(top, r.n); });
    Object.keys(shapes).forEach(function (code) {
      var n = counts[code] || 0, sh = shapes[code];
      var step = n === 0 ? 0 : Math.min(5, 1 + Math.floor(5 * n / (top + 1)));
      sh.path.setAttribute("class", "rep-shape q" + step);
      sh.title.textContent = sh.name + ": " + n;
    });
  }

  var last = null;
  function show(d) {
    last = d;
    $("rep-total").textContent = String(d.total);
    $("rep-prev").textContent = String(d.prev_total);
    $("rep-open").textContent = ((d.open_counts || {})["new"] || 0) + " / " + (d.open || []).length;
    series(d.series);
    table("rep-categories", d.categories, [function (r) { return r.label; }, function (r) { return r.n; }, function (r) { return r.prev; }]);
    table("rep-comuni", d.comuni, [function (r) { return r.label; }, function (r) { return r.code; }, function (r) { return r.n; }]);
    table("rep-province", d.province, [function (r) { return r.label; }, function (r) { return r.code; }, function (r) { return r.n; }]);
    $("rep-updated").textContent = new Date().toLocaleTimeString(document.documentElement.lang);
    paint(d);
    root.dataset.refreshed = String((+root.dataset.refreshed || 0) + 1);
  }

  function refresh() {
    fetch("/reports/api/dashboard?" + query, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) { show(d); } })
      .catch(function () {});
  }
  refresh();
  setInterval(refresh, 15000);
})();
