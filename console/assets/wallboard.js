// ascolto wallboard: queues and sites live from "queues.snapshot", small
// inline SVG charts of the last hours, and the mode switch with its
// confirmation dialog. The tiles on top and the agent table with its
// actions are the wall display's (wall.js, the "wall-agents" template).
(function () {
  "use strict";
  var A = window.ascolto;
  if (!A || !document.getElementById("queues")) { return; }
  var t = A.t, el = A.el;
  function $(id) { return document.getElementById(id); }
  var modeDone = $("mode-done");

  function done(key) {
    modeDone.textContent = t(key);
    modeDone.hidden = false;
    clearTimeout(done.timer);
    done.timer = setTimeout(function () { modeDone.hidden = true; }, 5000);
  }

  function mmss(s) { s = Math.max(0, Math.round(s || 0)); return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60); }

  // ---- Queue and site figures ----------------------------------------------
  function figureRow(q) {
    var tr = el("tr", { "data-name": q.name });
    var th = el("th", { scope: "row" }, q.name);
    if (q.site && q.site !== q.name) { th.appendChild(el("span", { "class": "hint" }, " " + q.site)); }
    tr.appendChild(th);
    var cells = [["waiting", q.waiting], ["longest", mmss(q.longest_wait_s)], ["sl", q.answered + q.abandoned > 0 ? Math.round(q.service_level * 100) + "%" : "—"],
      ["answered", q.answered], ["abandoned", q.abandoned], ["asa", mmss(q.asa_s)], ["aht", mmss(q.aht_s)],
      ["ready", q.agents_ready], ["busy", q.agents_busy], ["needed", q.staffing_needed]];
    cells.forEach(function (c) { tr.appendChild(el("td", { "data-f": c[0] }, String(c[1]))); });
    if (q.staffing_needed > q.agents_ready + q.agents_busy) {
      var td = tr.querySelector('[data-f="needed"]');
      td.classList.add("short");
      td.appendChild(el("span", { "class": "sr" }, " " + t("wall.short")));
    }
    if (q.waiting > 0 && q.agents_ready === 0) { tr.classList.add("alarm"); }
    return tr;
  }
  function fill(table, rows) {
    if (!table) { return; }
    var body = table.tBodies[0];
    body.textContent = "";
    rows.forEach(function (q) { body.appendChild(figureRow(q)); });
  }

  // ---- Charts --------------------------------------------------------------
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  // chart draws series (arrays of equal length) as lines in a w×h box,
  // with the maximum written on the axis; labels names the first and last points.
  function chart(host, series, labels) {
    if (!host) { return; }
    host.textContent = "";
    var w = 520, h = 150, pad = 28, n = 0, top = 1;
    series.forEach(function (s) { n = Math.max(n, s.values.length); s.values.forEach(function (v) { top = Math.max(top, v); }); });
    var box = svg("svg", { viewBox: "0 0 " + w + " " + h, width: "100%", height: h, focusable: "false", "aria-hidden": "true" });
    box.appendChild(svg("line", { x1: pad, y1: h - pad, x2: w - 4, y2: h - pad, "class": "axis" }));
    box.appendChild(svg("line", { x1: pad, y1: 6, x2: pad, y2: h - pad, "class": "axis" }));
    var topLabel = svg("text", { x: 2, y: 14, "class": "tick" });
    topLabel.textContent = String(top);
    box.appendChild(topLabel);
    if (labels) {
      var l0 = svg("text", { x: pad, y: h - 8, "class": "tick" });
      l0.textContent = labels[0];
      var l1 = svg("text", { x: w - 4, y: h - 8, "class": "tick", "text-anchor": "end" });
      l1.textContent = labels[1];
      box.appendChild(l0);
      box.appendChild(l1);
    }
    if (n === 0) { host.appendChild(el("p", { "class": "hint" }, t("wall.nodata"))); return; }
    var dx = n > 1 ? (w - pad - 8) / (n - 1) : 0;
    series.forEach(function (s) {
      var pts = s.values.map(function (v, i) {
        return (pad + i * dx).toFixed(1) + "," + (h - pad - (v / top) * (h - pad - 10)).toFixed(1);
      });
      box.appendChild(svg("polyline", { points: pts.join(" "), "class": "line " + s.cls }));
    });
    host.appendChild(box);
    var sr = series.map(function (s) { return s.label + ": " + s.values.join(", "); }).join("; ");
    host.setAttribute("aria-description", sr);
  }

  function loadHistory() {
    fetch("/api/wallboard/history?hours=4", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (h) {
        if (!h) { return; }
        var from = new Date(h.from), to = new Date(Date.parse(h.from) + (h.total.offered.length - 1) * h.step_s * 1000);
        var fmt = function (d) { return d.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" }); };
        chart($("chart-calls"), [
          { values: h.total.offered, cls: "k-offered", label: t("wall.offered") },
          { values: h.total.answered, cls: "k-answered", label: t("wall.answered") },
          { values: h.total.abandoned, cls: "k-abandoned", label: t("wall.abandoned") }
        ], [fmt(from), fmt(to)]);
      })
      .catch(function () { /* the live figures stay */ });
  }
  loadHistory();
  setInterval(loadHistory, 60000);
  // Calls answered or lost since the last look: fetch the history again
  // soon (the server keeps it 5 s), at most every 10 s.
  var handled = -1, nextLoad = 0;
  function maybeReload(s) {
    var n = 0;
    (s.sites || []).forEach(function (x) { n += x.answered + x.abandoned; });
    if (n !== handled && Date.now() >= nextLoad) {
      if (handled >= 0) { loadHistory(); }
      handled = n;
      nextLoad = Date.now() + 10000;
    }
  }

  var samples = []; // {at, waiting, ready}, one every 10 s at most, 4 hours
  function sample(s) {
    var at = Date.parse(s.at) || Date.now();
    var w = 0, r = 0;
    (s.sites || []).forEach(function (x) { w += x.waiting; r += x.agents_ready; });
    var last = samples[samples.length - 1];
    if (last && at - last.at < 10000) { last.waiting = w; last.ready = r; } else { samples.push({ at: at, waiting: w, ready: r }); }
    if (samples.length > 1440) { samples.shift(); }
    chart($("chart-waiting"), [
      { values: samples.map(function (x) { return x.waiting; }), cls: "k-waiting", label: t("wall.waiting") },
      { values: samples.map(function (x) { return x.ready; }), cls: "k-ready", label: t("wall.ready") }
    ]);
  }

  A.on("queues.snapshot", function (m) {
    var s = m.data || {};
    fill($("queues"), s.queues || []);
    fill($("sites"), s.sites || []);
    var at = $("snap-at");
    if (at && s.at) { at.textContent = new Date(s.at).toLocaleTimeString(document.documentElement.lang); }
    sample(s);
    maybeReload(s);
  });

  // ---- Mode switch -----------------------------------------------------------
  var dlg = $("mode-dialog");
  if (dlg) {
    var mdErr = $("md-error");
    $("mode-open").addEventListener("click", function () {
      mdErr.hidden = true;
      $("md-reason").value = "";
      var cur = $("mode-now").dataset.mode;
      if (cur) { $("md-mode").value = cur === "emergency" ? "ordinary" : "emergency"; }
      dlg.showModal();
      $("md-mode").focus();
    });
    $("md-cancel").addEventListener("click", function () { dlg.close(); $("mode-open").focus(); });
    $("mode-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var reason = $("md-reason").value.trim();
      if (reason.length < 3) { A.showError(mdErr, { message: t("wall.modereason") }); $("md-reason").focus(); return; }
      var b = $("md-confirm");
      b.disabled = true;
      A.send("mode.set", { mode: $("md-mode").value, reason: reason }).then(function () {
        dlg.close();
        done("wall.modeset");
        $("mode-open").focus();
      }, function (err) { A.showError(mdErr, err); }).then(function () { b.disabled = false; });
    });
  }
})();
