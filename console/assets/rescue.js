// The rescue request on the agent desk: shown with "richiesta di
// soccorso", it asks for the hazard, the people (how many, who is
// vulnerable), the number to call back, the place in words and a pin the
// agent drops on the comune's map (its province, bundled with ascolto, and
// the comune's own outline when imported: no tile server, it works
// offline). desk.js asks it for the request when the form is saved
// (window.ascoltoRescue.collect) and resets it with each call.
(function () {
  "use strict";
  var A = window.ascolto;
  var box = document.getElementById("rescue");
  if (!A || !box) { return; }
  var t = A.t;
  function $(id) { return document.getElementById(id); }
  var form = $("disposition");
  var NS = "http://www.w3.org/2000/svg";
  var mapBox = $("r-map"), lat = $("r-lat"), lon = $("r-lon");
  var drawn = "", view = null, svg = null, marker = null;

  function urgency() { return (form.querySelector('input[name="urgency"]:checked') || { value: "none" }).value; }
  function toggle() {
    box.hidden = urgency() !== "rescue";
    $("r-hazardnote-field").hidden = $("r-hazard").value !== "other" && !$("r-hazardnote").value;
    if (!box.hidden) { drawMap(); }
  }
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "urgency" || ev.target.id === "r-hazard") { toggle(); }
    if (ev.target.id === "d-comune") { setTimeout(drawMap, 0); }
  });
  $("d-comune").addEventListener("input", function () { setTimeout(drawMap, 300); });

  function comuneCode() {
    var m = /(^|\D)(\d{6})\s*$/.exec($("d-comune").value.trim());
    return m ? m[2] : "";
  }

  // ---- The map: an SVG in an equirectangular projection scaled by the
  // cosine of the latitude, so a kilometre is as long either way.
  function project(p) {
    var k = Math.cos((view.b[1] + view.b[3]) / 2 * Math.PI / 180);
    return [(p[0] - view.b[0]) * k * view.s, (view.b[3] - p[1]) * view.s];
  }
  function unproject(x, y) {
    var k = Math.cos((view.b[1] + view.b[3]) / 2 * Math.PI / 180);
    return [view.b[0] + x / (k * view.s), view.b[3] - y / view.s];
  }
  function path(geom, cls) {
    if (!geom) { return; }
    var polys = geom.type === "Polygon" ? [geom.coordinates] : geom.coordinates;
    var d = polys.map(function (rings) {
      return rings.map(function (ring) {
        return "M" + ring.map(function (p) { var q = project(p); return q[0].toFixed(1) + "," + q[1].toFixed(1); }).join("L") + "Z";
      }).join("");
    }).join("");
    var e = document.createElementNS(NS, "path");
    e.setAttribute("d", d);
    e.setAttribute("class", cls);
    svg.appendChild(e);
  }

  function drawMap() {
    var code = comuneCode();
    if (!code || code === drawn) { return; }
    drawn = code;
    fetch("/api/comuni/" + code + "/map", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (m) {
        if (drawn !== code) { return; }
        var b = m.bounds, pad = Math.max(b[2] - b[0], b[3] - b[1]) * 0.05;
        b = [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad];
        var k = Math.cos((b[1] + b[3]) / 2 * Math.PI / 180);
        var s = 600 / Math.max((b[2] - b[0]) * k, 1e-6);
        view = { b: b, s: s, w: 600, h: Math.round((b[3] - b[1]) * s) };
        mapBox.textContent = "";
        svg = document.createElementNS(NS, "svg");
        svg.setAttribute("viewBox", "0 0 " + view.w + " " + view.h);
        svg.setAttribute("class", "r-svg");
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        path(m.provincia, "r-prov");
        path(m.shape, "r-comune");
        if (m.center && !m.shape) {
          var c = project([m.center.lon, m.center.lat]), dot = document.createElementNS(NS, "circle");
          dot.setAttribute("cx", c[0].toFixed(1)); dot.setAttribute("cy", c[1].toFixed(1)); dot.setAttribute("r", "4");
          dot.setAttribute("class", "r-center");
          svg.appendChild(dot);
        }
        mapBox.appendChild(svg);
        mapBox.dataset.comune = code;
        $("r-map-comune").textContent = m.comune.label;
        marker = null;
        drawPin();
      }).catch(function () { drawn = ""; });
  }

  function readPin() {
    var la = parseFloat(lat.value.replace(",", ".")), lo = parseFloat(lon.value.replace(",", "."));
    return isFinite(la) && isFinite(lo) ? [lo, la] : null;
  }
  function drawPin() {
    if (!svg) { return; }
    var p = readPin();
    if (marker) { marker.remove(); marker = null; }
    if (!p) { mapBox.dataset.pinned = ""; return; }
    var q = project(p);
    marker = document.createElementNS(NS, "g");
    marker.setAttribute("class", "r-pin");
    var r = +$("r-radius").value || 250;
    var area = document.createElementNS(NS, "circle");
    area.setAttribute("cx", q[0].toFixed(1)); area.setAttribute("cy", q[1].toFixed(1));
    area.setAttribute("r", Math.max(3, r / 111320 * view.s).toFixed(1));
    area.setAttribute("class", "r-area");
    var dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", q[0].toFixed(1)); dot.setAttribute("cy", q[1].toFixed(1)); dot.setAttribute("r", "7");
    dot.setAttribute("class", "r-dot");
    marker.appendChild(area);
    marker.appendChild(dot);
    svg.appendChild(marker);
    mapBox.dataset.pinned = "1";
  }
  mapBox.addEventListener("click", function (ev) {
    if (!svg) { return; }
    var rect = svg.getBoundingClientRect();
    var x = (ev.clientX - rect.left) * view.w / rect.width, y = (ev.clientY - rect.top) * view.h / rect.height;
    var p = unproject(x, y);
    lat.value = p[1].toFixed(5);
    lon.value = p[0].toFixed(5);
    drawPin();
    form.dispatchEvent(new Event("input"));
    $("desk-announce").textContent = t("disp.rescue.pinned") + " " + lat.value + ", " + lon.value;
  });
  [lat, lon, $("r-radius")].forEach(function (e) { e.addEventListener("input", drawPin); e.addEventListener("change", drawPin); });
  $("r-clearpin").addEventListener("click", function () { lat.value = ""; lon.value = ""; drawPin(); });

  // collect returns {value} to send — null when the agent filled in
  // nothing (a rescue request is never held back for its details: it goes
  // to the room as before) — or {error, field} for what is plainly missing
  // once they started (the server checks everything again, in the same
  // words).
  var prefilled = "";
  function collect() {
    var v = {
      hazard: $("r-hazard").value,
      hazard_note: $("r-hazardnote").value.trim(),
      people: 0,
      callback: $("r-callback").value.trim(),
      place: $("r-place").value.trim(),
      vulnerable: Array.prototype.filter.call(box.querySelectorAll('input[name="r_vulnerable"]'), function (c) { return c.checked; })
        .map(function (c) { return c.value; })
    };
    var n = $("r-people").value.trim();
    if (!v.hazard && !v.hazard_note && !n && !v.place && !v.vulnerable.length && !lat.value.trim() && !lon.value.trim() &&
      (v.callback === prefilled || !v.callback)) {
      return { value: null };
    }
    if (!/^\d{1,4}$/.test(n) || +n < 1) { return { error: t("disp.rescue.err.people.missing"), field: "people" }; }
    v.people = +n;
    if (lat.value.trim() || lon.value.trim()) {
      var p = readPin();
      if (!p) { return { error: t("disp.rescue.err.pin.half"), field: "pin" }; }
      v.lat = p[1]; v.lon = p[0]; v.radius_m = +$("r-radius").value || 250;
    }
    return { value: v };
  }
  var fields = { place: "r-place", pin: "r-lat", people: "r-people", callback: "r-callback", hazard: "r-hazard",
    hazardnote: "r-hazardnote", radius: "r-radius", vulnerable: "r-v-children" };
  function focus(field) {
    if (field === "hazardnote") { $("r-hazardnote-field").hidden = false; }
    var e = $(fields[field] || "r-hazard");
    if (e) { e.focus(); }
  }
  function reset(callback) {
    $("r-callback").value = prefilled = callback || "";
    lat.value = ""; lon.value = "";
    drawn = "";
    setTimeout(toggle, 0);
  }
  window.ascoltoRescue = { collect: collect, focus: focus, reset: reset };
  toggle();
})();
