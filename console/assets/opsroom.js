// The operations room's screen: the live list and map of rescue requests
// and situation reports, newest and most urgent first, with an audible
// alert, acknowledgement and status updates. Every (re)connection fetches
// the whole list again, so a screen that was offline misses nothing.
// Plain JavaScript; the page works without it (forms).
(function () {
  "use strict";
  var root = document.getElementById("ops-root");
  if (!root || !window.ascolto) { return; }
  var T = {};
  try { T = JSON.parse(document.getElementById("ops-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(k) { return T[k] || k; }
  var assignees = [];
  try { assignees = JSON.parse(document.getElementById("ops-assignees").textContent) || []; } catch (e) { /* none */ }
  var list = document.getElementById("ops-list");
  var alertBox = document.getElementById("ops-alert");
  var newBadge = document.getElementById("ops-new");
  var soundBtn = document.getElementById("ops-sound");
  var canAct = root.dataset.canAct === "1";
  var items = {};     // id -> item
  var known = {};     // ids this screen has alerted for
  var audio = null;
  var alerts = 0;
  var title = document.title;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  // ---- The audible alert: a browser plays sound only after a gesture,
  // so the room turns it on once with the button.
  soundBtn.addEventListener("click", function () {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      audio.resume();
      soundBtn.setAttribute("aria-pressed", "true");
      soundBtn.textContent = t("ops.soundon");
      beep(1);
    } catch (e) { /* no audio: the visual alert remains */ }
  });

  function beep(times) {
    if (!audio) { return false; }
    for (var i = 0; i < times; i++) {
      var o = audio.createOscillator(), g = audio.createGain(), at = audio.currentTime + i * 0.45;
      o.type = "square";
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.15, at);
      g.gain.setValueAtTime(0, at + 0.3);
      o.connect(g);
      g.connect(audio.destination);
      o.start(at);
      o.stop(at + 0.32);
    }
    root.dataset.beeps = String((+root.dataset.beeps || 0) + 1);
    return true;
  }

  function alarm(text, strong) {
    alerts += 1;
    root.dataset.alerts = String(alerts);
    beep(strong ? 4 : 2);
    document.title = "(!) " + title;
    alertBox.textContent = text;
    alertBox.hidden = false;
    root.classList.add("flash");
    setTimeout(function () { root.classList.remove("flash"); }, 1500);
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) { document.title = title; } });

  // ---- Order: unacknowledged first, rescue before report, newest first;
  // closed last.
  function rank(it) { return it.state === "new" ? 0 : it.state === "closed" ? 2 : 1; }
  function sorted() {
    return Object.keys(items).map(function (k) { return items[k]; }).sort(function (a, b) {
      if (rank(a) !== rank(b)) { return rank(a) - rank(b); }
      if ((a.kind === "rescue") !== (b.kind === "rescue")) { return a.kind === "rescue" ? -1 : 1; }
      return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id;
    });
  }

  function when(s) {
    if (!s) { return ""; }
    var d = new Date(s);
    return d.toLocaleString(document.documentElement.lang, { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function fact(dl, key, value, href) {
    if (value === undefined || value === null || value === "" || value === 0) { return; }
    dl.appendChild(el("dt", {}, t(key)));
    var dd = el("dd");
    if (href) { dd.appendChild(el("a", { href: href }, value)); } else { dd.textContent = value; }
    dl.appendChild(dd);
  }

  function card(it) {
    var li = el("li", { "class": "ops-item kind-" + it.kind + " state-" + it.state, "data-item": it.id, "data-version": it.version });
    var head = el("p", { "class": "ops-head" });
    head.appendChild(el("span", { "class": "badge " + (it.kind === "rescue" ? "urgency-rescue" : "urgency-elevated") }, t("ops.kind." + it.kind)));
    if (it.exercise) { head.appendChild(el("span", { "class": "badge" }, t("ops.exercise"))); }
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("a", { "class": "tracking", href: "/cases/" + it.tracking_id }, it.tracking_id));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", { "class": "badge ops-state" }, t("ops.state." + it.state)));
    if (it.escalations) { head.appendChild(el("span", { "class": "badge urgency-rescue" }, t("ops.escalated") + " ×" + it.escalations)); }
    li.appendChild(head);
    var dl = el("dl", { "class": "facts" });
    var c = it.comune || {};
    var where = (c.name ? c.name + (c.sigla ? " (" + c.sigla + ")" : "") : (c.code || "")) + (c.regione ? ", " + c.regione : "");
    if (it.address) { where += " — " + it.address; }
    if (it.lat !== undefined && it.lon !== undefined) { where += " (" + it.lat.toFixed(5) + ", " + it.lon.toFixed(5) + ")"; }
    if (!it.position || it.position.precision !== "exact") { where += " · " + placeText(it); }
    var r = it.rescue || null;
    if (r && r.pin) { where += " · " + t("ops.pin") + " " + r.pin.radius_m + " m"; }
    fact(dl, "ops.received", when(it.created_at));
    fact(dl, "ops.where", where);
    if (r && r.hazard) {
      fact(dl, "ops.hazard", t("ops.hazard." + r.hazard) + (r.hazard === "other" && r.hazard_note ? ": " + r.hazard_note : ""));
      dl.lastChild.className = "ops-rescue";
    }
    fact(dl, "ops.what", whatText(it));
    fact(dl, "ops.people", it.people ? String(it.people) : "");
    if (r && r.vulnerable && r.vulnerable.length) {
      fact(dl, "ops.vulnerable", r.vulnerable.map(function (v) { return t("ops.v." + v); }).join(", "));
      dl.lastChild.className = "ops-vuln";
    }
    var phone = (r && r.callback) || it.contact_phone || "";
    fact(dl, "ops.callback", phone ? phone + (it.contact_name ? " " + it.contact_name : "") : "",
      phone ? "tel:" + phone.replace(/\s/g, "") : null);
    fact(dl, "ops.agentnotes", it.advice);
    fact(dl, "ops.by", it.submitted_by);
    fact(dl, "ops.ackedby", it.acked_by ? it.acked_by + " · " + when(it.acked_at) : "");
    fact(dl, "ops.assignee", it.assignee);
    li.appendChild(dl);
    if (canAct && it.state !== "closed") { li.appendChild(actions(it)); }
    return li;
  }

  // whatText is the category with the case's summary and notes, each only
  // when the agent's notes (their own row) do not already say it: the
  // summary of a desk case is the first line of those notes.
  function whatText(it) {
    var advice = (it.advice || "").trim(), s = (it.summary || "").trim(), n = (it.notes || "").trim();
    var extra = [];
    if (s && advice.indexOf(s) !== 0) { extra.push(s); }
    if (n && n !== advice && n !== s) { extra.push(n); }
    var out = it.category_label || it.category || "";
    return extra.length ? (out ? out + ": " : "") + extra.join(" — ") : out;
  }

  function actions(it) {
    var f = el("form", { "class": "ops-actions" });
    if (it.state === "new") {
      var ack = el("button", { type: "button", "class": "btn primary", "data-ack": it.id }, t("ops.ack"));
      ack.addEventListener("click", function () { act(ack, "opsroom.ack", { id: it.id }); });
      f.appendChild(ack);
      return f;
    }
    var who = el("input", { name: "assignee", list: "ops-assignee-list", maxlength: "60", "aria-label": t("ops.assignee") });
    who.value = it.assignee || "";
    var note = el("input", { name: "note", maxlength: "1000", "aria-label": t("ops.note"), placeholder: t("ops.note") });
    var assign = el("button", { type: "button", "class": "btn", "data-assign": it.id }, t("ops.assign"));
    var close = el("button", { type: "button", "class": "btn danger", "data-close": it.id }, t("ops.close"));
    assign.addEventListener("click", function () {
      act(assign, "opsroom.status", { id: it.id, state: "assigned", assignee: who.value.trim(), note: note.value.trim() });
    });
    close.addEventListener("click", function () {
      act(close, "opsroom.status", { id: it.id, state: "closed", note: note.value.trim() });
    });
    f.appendChild(who);
    f.appendChild(note);
    f.appendChild(assign);
    f.appendChild(close);
    return f;
  }

  function act(btn, type, data) {
    btn.disabled = true;
    alertBox.hidden = true;
    window.ascolto.send(type, data).then(function (v) { if (v) { upsert(v, false); } }, function (err) {
      alertBox.textContent = t("ops.failed") + ": " + (err && err.message ? err.message : "") + (err && err.detail ? " (" + err.detail + ")" : "");
      alertBox.hidden = false;
      btn.disabled = false;
    });
  }

  function render() {
    list.textContent = "";
    var all = sorted(), waiting = 0;
    all.forEach(function (it) {
      if (it.state === "new") { waiting++; }
      list.appendChild(card(it));
    });
    if (!all.length) { list.appendChild(el("li", { "class": "ops-empty" }, t("ops.none"))); }
    newBadge.textContent = waiting + " " + t("ops.waiting");
    root.dataset.waiting = String(waiting);
    drawPoints();
  }

  // upsert keeps the newest version of an item; a request this screen has
  // not seen yet, still waiting, sounds the alert.
  function upsert(it, live) {
    var cur = items[it.id];
    if (cur && cur.version > it.version) { return; }
    items[it.id] = it;
    var fresh = !known[it.id];
    known[it.id] = true;
    if (fresh && it.state === "new" && live !== false) {
      alarm(t("ops.newalert") + ": " + it.tracking_id + " — " + ((it.comune && it.comune.name) || ""), it.kind === "rescue");
    }
  }

  function refresh() {
    return fetch("/opsroom/api/items", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) {
        var next = {};
        (body.items || []).forEach(function (it) { next[it.id] = true; upsert(it, true); });
        Object.keys(items).forEach(function (id) { if (!next[id] && items[id].state !== "closed") { delete items[id]; } });
        render();
        loadHot();
  // Time alone changes them too: the server says so once a minute at most.
  window.ascolto.on("opsroom.hotspots", function (m) { hot = (m.data && m.data.hotspots) || []; drawHot(); });
      }).catch(function () { /* the next reconnection tries again */ });
  }

  // The first list comes with the page: those do not sound, unless waiting.
  Array.prototype.forEach.call(list.querySelectorAll("[data-item]"), function (li) { known[li.dataset.item] = true; });

  window.ascolto.on("hello", function () {
    window.ascolto.send("subscribe", { topics: ["opsroom"] }).catch(function () {}).then(refresh);
  });
  window.ascolto.on("opsroom.item", function (m) { upsert(m.data, true); render(); hotSoon(); });
  window.ascolto.on("opsroom.escalated", function (m) {
    (m.data.items || []).forEach(function (it) { upsert(it, false); });
    render();
    alarm(t("ops.escalation") + ": " + (m.data.items || []).map(function (it) { return it.tracking_id; }).join(", "), true);
  });

  // ---- The map: provinces and regions (bundled with ascolto, or
  // imported), and a marker per open item where it is: the citizen's
  // coordinates (filled), else its comune's or province's centroid
  // (hollow, dashed: approximate). Items at one spot share a marker; a
  // click lists them. No tiles: it works offline.
  var map = document.getElementById("ops-map");
  var pop = document.getElementById("ops-pop");
  var popList = document.getElementById("ops-pop-list");
  var NS = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(NS, "svg");
  var box = { x0: 6.5, x1: 18.6, y0: 35.4, y1: 47.2 };
  var k = Math.cos(42 * Math.PI / 180);
  function px(lon) { return (lon - box.x0) * k * 100; }
  function py(lat) { return (box.y1 - lat) * 100; }
  var full = { x: 0, y: 0, w: Math.round((box.x1 - box.x0) * k * 100), h: Math.round((box.y1 - box.y0) * 100) };
  var view = full;
  svg.setAttribute("viewBox", "0 0 " + full.w + " " + full.h);
  svg.setAttribute("class", "ops-svg");
  var layers = {};
  ["provincia", "regione", "hot", "dots"].forEach(function (name) {
    layers[name] = document.createElementNS(NS, "g");
    layers[name].setAttribute("class", "ops-layer-" + name);
    svg.appendChild(layers[name]);
  });
  var dots = layers.dots;
  map.appendChild(svg);

  function ringPath(rings) {
    return rings.map(function (ring) {
      return "M" + ring.map(function (p) { return px(p[0]).toFixed(1) + "," + py(p[1]).toFixed(1); }).join("L") + "Z";
    }).join("");
  }

  function drawLevel(level) {
    return fetch("/reports/api/boundaries?level=" + level, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (fc) {
        (fc.features || []).forEach(function (f) {
          var p = document.createElementNS(NS, "path");
          var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
          p.setAttribute("d", polys.map(ringPath).join(""));
          p.setAttribute("class", "ops-shape level-" + level);
          p.setAttribute("data-code", f.properties.code);
          var tt = document.createElementNS(NS, "title");
          tt.textContent = f.properties.name;
          p.appendChild(tt);
          layers[level].appendChild(p);
        });
        return (fc.features || []).length;
      });
  }
  Promise.all([drawLevel("provincia"), drawLevel("regione")]).then(function (n) {
    root.dataset.shapes = String(n[0] + n[1]);
    if (!n[0] && !n[1]) { document.getElementById("ops-nomap").hidden = false; }
  }).catch(function () { document.getElementById("ops-nomap").hidden = false; });

  function placeText(it) {
    var pos = it.position;
    if (!pos) { return t("ops.unplaced"); }
    return pos.precision === "exact" ? t("ops.exact") : t("ops.approx." + pos.precision);
  }

  function showPop(group, x, y) {
    popList.textContent = "";
    group.forEach(function (it) {
      var li = el("li");
      li.appendChild(el("a", { href: "/cases/" + it.tracking_id }, it.tracking_id));
      li.appendChild(document.createTextNode(" " + t("ops.kind." + it.kind) + " — " + ((it.comune && it.comune.name) || "")));
      li.appendChild(el("br"));
      li.appendChild(el("span", { "class": it.position.precision === "exact" ? "" : "ops-approx" }, placeText(it)));
      popList.appendChild(li);
    });
    var r = map.getBoundingClientRect();
    pop.style.left = Math.max(0, Math.min(x - r.left, r.width - 220)) + "px";
    pop.style.top = (y - r.top + 12) + "px";
    pop.hidden = false;
  }
  document.getElementById("ops-pop-close").addEventListener("click", function () { pop.hidden = true; });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { pop.hidden = true; } });

  // fit zooms on the markers (at least about 3 degrees of latitude, so the
  // provinces around stay in view), or shows all of Italy without any.
  function fit(pts) {
    if (!pts.length) { return full; }
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    pts.forEach(function (p) { x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]); });
    var h = Math.max(300, (y1 - y0) * 1.3, (x1 - x0) * 1.3 * full.h / full.w);
    var w = h * full.w / full.h;
    if (w >= full.w || h >= full.h) { return full; }
    var x = Math.min(Math.max((x0 + x1) / 2 - w / 2, 0), full.w - w);
    var y = Math.min(Math.max((y0 + y1) / 2 - h / 2, 0), full.h - h);
    return { x: x, y: y, w: w, h: h };
  }

  function drawPoints() {
    dots.textContent = "";
    var pts = [];
    sorted().forEach(function (it) {
      if (it.position && it.state !== "closed") { pts.push([px(it.position.lon), py(it.position.lat)]); }
    });
    view = fit(pts);
    if (typeof drawHotRings === "function" && hot) { drawHotRings(); }
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) { return v.toFixed(1); }).join(" "));
    var scale = view.w / full.w;
    var groups = {}, order = [];
    sorted().forEach(function (it) {
      if (!it.position || it.state === "closed") { return; }
      var key = it.position.lat.toFixed(4) + "," + it.position.lon.toFixed(4) + "," + (it.position.precision === "exact" ? "e" : "a");
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(it);
    });
    // The most urgent last, so it is drawn on top.
    order.reverse().forEach(function (key) {
      var g = groups[key], it = g[0], approx = it.position.precision !== "exact";
      var c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", px(it.position.lon).toFixed(1));
      c.setAttribute("cy", py(it.position.lat).toFixed(1));
      c.setAttribute("r", (((it.kind === "rescue" ? 18 : 14) + Math.min(g.length - 1, 6) * 3) * scale).toFixed(2));
      c.setAttribute("class", "ops-dot kind-" + it.kind + " state-" + it.state + (approx ? " approx" : " exact"));
      c.setAttribute("data-items", g.map(function (x) { return x.id; }).join(" "));
      c.setAttribute("data-precision", it.position.precision);
      var tt = document.createElementNS(NS, "title");
      tt.textContent = g.map(function (x) { return x.tracking_id + " " + ((x.comune && x.comune.name) || "") + " (" + placeText(x) + ")"; }).join("\n");
      c.appendChild(tt);
      c.addEventListener("click", function (e) { showPop(g, e.clientX, e.clientY); });
      dots.appendChild(c);
      if (g.length > 1) {
        var n = document.createElementNS(NS, "text");
        n.setAttribute("x", px(it.position.lon).toFixed(1));
        n.setAttribute("y", (py(it.position.lat) + 6 * scale).toFixed(1));
        n.setAttribute("font-size", (18 * scale).toFixed(2));
        n.setAttribute("class", "ops-count");
        n.textContent = String(g.length);
        dots.appendChild(n);
      }
    });
  }

  // ---- Hotspots: requests about one hazard in one place within the hour,
  // grouped by the server (hotspot package); the feed names each group
  // with its count and trend, the map rings it, and its requests stay on
  // the list and the map as they are.
  var hot = [], hotTimer = null;
  var hotList = document.getElementById("ops-hot-list");
  function hotSoon() { clearTimeout(hotTimer); hotTimer = setTimeout(loadHot, 500); }
  function loadHot() {
    return fetch("/opsroom/api/hotspots", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) { hot = body.hotspots || []; drawHot(); })
      .catch(function () { /* the next change tries again */ });
  }
  function hazardText(h) {
    var k = "ops.hazard." + h.hazard;
    return T[k] ? t(k) : (h.hazard_label || h.hazard);
  }
  function hotTitle(h) {
    var w = h.where || {}, where = w.name ? w.name + (w.sigla ? " (" + w.sigla + ")" : "") : "";
    var place = [h.place, where].filter(function (x) { return x; }).join(", ");
    return h.count + " " + t("ops.hot.requests") + " · " + hazardText(h) + (place ? " · " + place : "") + " · " + t("ops.hot." + h.trend);
  }
  function drawHot() {
    hotList.textContent = "";
    root.dataset.hotspots = String(hot.length);
    if (!hot.length) { hotList.appendChild(el("li", { "class": "ops-empty" }, t("ops.hot.none"))); }
    hot.forEach(function (h) {
      var li = el("li", { "class": "ops-hot trend-" + h.trend, "data-count": h.count });
      li.appendChild(el("strong", {}, hotTitle(h)));
      var ul = el("ul", { "class": "ops-hot-members", "aria-label": t("ops.hot.members") });
      h.members.forEach(function (m) {
        var mi = el("li");
        mi.appendChild(el("a", { href: "/cases/" + m.tracking_id }, m.tracking_id));
        ul.appendChild(mi);
      });
      li.appendChild(ul);
      hotList.appendChild(li);
    });
    drawHotRings();
  }
  function drawHotRings() {
    var g = layers.hot;
    g.textContent = "";
    var scale = view.w / full.w;
    hot.forEach(function (h) {
      if (!h.lat && !h.lon) { return; }
      var c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", px(h.lon).toFixed(1));
      c.setAttribute("cy", py(h.lat).toFixed(1));
      c.setAttribute("r", ((30 + Math.min(h.count, 50)) * scale).toFixed(2));
      c.setAttribute("class", "ops-hotring trend-" + h.trend);
      c.setAttribute("data-count", h.count);
      var tt = document.createElementNS(NS, "title");
      tt.textContent = hotTitle(h);
      c.appendChild(tt);
      g.appendChild(c);
    });
  }
  loadHot();
  // Time alone changes them too: the server says so once a minute at most.
  window.ascolto.on("opsroom.hotspots", function (m) { hot = (m.data && m.data.hotspots) || []; drawHot(); });

  // Waiting times move on their own.
  setInterval(function () { if (Object.keys(items).length) { render(); } }, 60000);
})();
