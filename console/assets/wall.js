// ascolto wall display: each queue's and site's big numbers from
// "wall.figures" (judged by the server against the queue's thresholds),
// the alert on a new breach (a banner, and a sound once someone turned it
// on: browsers play nothing before a click), and the agents, one compact
// line each, from "agent.state" and "wall.agents", with their actions in
// one shared menu and every supervisor's supervisions marked on their rows
// ("supervisions"). The same on /supervisor/wall and /supervisor. Rows are
// updated in place, cell by cell, so 300 agents stay smooth;
// window.__wallPerf keeps the times.
(function () {
  "use strict";
  var A = window.ascolto;
  if (!A || !document.getElementById("wall-queues")) { return; }
  var t = A.t, el = A.el;
  function $(id) { return document.getElementById(id); }
  var lang = document.documentElement.lang;
  var perf = window.__wallPerf = { render: 0, updates: 0, updateTotal: 0, updateMax: 0, ticks: 0, tickTotal: 0, tickMax: 0, figures: 0 };

  function num(f) {
    var s = (Math.round(f * 10) / 10).toFixed(1);
    if (s.slice(-2) === ".0") { s = s.slice(0, -2); }
    return lang === "en" ? s : s.replace(".", ",");
  }
  function minsec(s) { s = Math.max(0, Math.round(s || 0)); return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60); }
  function setText(node, s) { if (node.textContent !== s) { node.textContent = s; } }

  // ---- Tiles (the same as page.WallTiles writes) ---------------------------
  function tiles(f) {
    var th = f.th, v = f.v;
    var sl = "—", ab = "—", slSub = t("wall.big.nocalls"), abSub = slSub;
    if (f.has_calls) {
      sl = num(f.sl_pct) + "%"; ab = num(f.abandoned_pct) + "%";
      slSub = A.fmt("wall.big.limits", num(th.sl_amber_pct) + "%", num(th.sl_red_pct) + "%");
      abSub = A.fmt("wall.big.ofcalls", f.abandoned, f.answered + f.abandoned);
    }
    var staffSub = f.present < f.needed ? A.fmt("wall.big.short", f.needed - f.present) : t("wall.big.enough");
    return [
      { f: "waiting", label: t("wall.big.waiting"), value: String(f.waiting), level: "ok" },
      { f: "longest", label: t("wall.big.longest"), value: minsec(f.longest_wait_s), level: v.wait,
        sub: A.fmt("wall.big.limits", minsec(th.wait_amber_s), minsec(th.wait_red_s)) },
      { f: "sl", label: t("wall.big.sl"), value: sl, level: v.sl, sub: slSub },
      { f: "abandoned", label: t("wall.big.abandoned"), value: ab, level: v.abandon, sub: abSub },
      { f: "agents", label: t("wall.big.agents"), level: "ok", parts: [[f.ready, t("wall.big.free")], [f.busy, t("wall.big.busy")], [f.paused, t("wall.big.paused")]] },
      { f: "staff", label: t("wall.big.staff"), value: f.needed + " / " + f.present, level: v.staffing, sub: staffSub }
    ];
  }
  function card(f, kind) {
    var id = "wc-" + kind + "-" + f.name;
    var art = el("article", { "class": "wcard", "data-name": f.name, "aria-labelledby": id });
    var h = el("h3", { id: id }, f.name);
    if (f.site && f.site !== f.name) { h.appendChild(document.createTextNode(" ")); h.appendChild(el("span", { "class": "wsite" }, "· " + f.site)); }
    if (f.target) { h.appendChild(document.createTextNode(" ")); h.appendChild(el("span", { "class": "wtarget" }, A.fmt("wall.big.target", f.target))); }
    art.appendChild(h);
    var dl = el("dl", { "class": "wtiles" });
    tiles(f).forEach(function (x) {
      var div = el("div", { "class": "wt lv-" + x.level, "data-f": x.f });
      div.appendChild(el("dt", {}, x.label));
      var dd = el("dd");
      if (x.parts) {
        var ps = el("span", { "class": "wv wparts" });
        x.parts.forEach(function (p) {
          var s = el("span");
          s.appendChild(el("b", {}, String(p[0])));
          s.appendChild(document.createTextNode(" " + p[1]));
          ps.appendChild(s);
        });
        dd.appendChild(ps);
      } else {
        dd.appendChild(el("span", { "class": "wv", "data-n": String(Math.min(Array.from(x.value).length, 10)) }, x.value));
      }
      if (x.level !== "ok") {
        dd.appendChild(document.createTextNode(" "));
        var lv = el("span", { "class": "wlv" });
        lv.appendChild(el("span", { "aria-hidden": "true" }, x.level === "red" ? "✖" : "▲"));
        lv.appendChild(document.createTextNode(" " + t("wall.big.lv." + x.level)));
        dd.appendChild(lv);
      }
      if (x.sub) { dd.appendChild(el("span", { "class": "wsub" }, x.sub)); }
      div.appendChild(dd);
      dl.appendChild(div);
    });
    art.appendChild(dl);
    return art;
  }
  // fillGrid redraws a grid only when its figures changed: most seconds
  // nothing did, and an unchanged card is left alone.
  var drawn = {};
  function fillGrid(id, list, kind) {
    var g = $(id);
    if (!g) { return; }
    var key = JSON.stringify(list) + lang;
    if (drawn[id] === key) { return; }
    drawn[id] = key;
    var frag = document.createDocumentFragment();
    list.forEach(function (f) { frag.appendChild(card(f, kind)); });
    if (!list.length && kind === "q") { frag.appendChild(el("p", { "class": "hint" }, t("wall.big.noqueues"))); }
    g.textContent = "";
    g.appendChild(frag);
  }

  // ---- Alert ----------------------------------------------------------------
  var alertBox = $("wall-alert"), alertList = $("wall-alert-list"), soundBtn = $("wall-sound");
  var acked = {}, shownKeys = "", soundOn = false, audio = null;
  function breachText(b) {
    var fmt = function (v) { return b.unit === "pct" ? num(v) + "%" : minsec(v); };
    return A.fmt("wall.big.b." + b.kind, b.name, fmt(b.value), fmt(b.limit));
  }
  function beep() {
    if (!soundOn) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35, 0.7].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; g.gain.value = 0.2;
        o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.2);
      });
    } catch (e) { /* no audio device: the banner still shows */ }
  }
  function alerts(breaches) {
    var keys = breaches.map(function (b) { return b.kind + ":" + b.subject; });
    Object.keys(acked).forEach(function (k) { if (keys.indexOf(k) < 0) { delete acked[k]; } }); // a breach that cleared alerts again if it returns
    var fresh = keys.filter(function (k) { return !acked[k]; });
    var k = keys.join("|");
    if (k !== shownKeys) {
      // The list is rewritten only when the breaches change, so a screen
      // reader hears each once, not every second.
      shownKeys = k;
      alertList.textContent = "";
      breaches.forEach(function (b, i) { alertList.appendChild(el("li", { "data-key": keys[i] }, breachText(b))); });
      if (fresh.length) {
        alertBox.hidden = false;
        // Restart the flashing on the next frame: reading a size here to
        // restart it would lay out the whole page (300 rows) at once.
        alertBox.classList.remove("flash");
        requestAnimationFrame(function () { alertBox.classList.add("flash"); });
        beep();
      }
    }
    if (!breaches.length || !fresh.length) { alertBox.hidden = true; }
  }
  $("wall-ack").addEventListener("click", function () {
    shownKeys.split("|").forEach(function (k) { if (k) { acked[k] = true; } });
    alertBox.hidden = true;
  });
  soundBtn.addEventListener("click", function () {
    soundOn = !soundOn;
    soundBtn.setAttribute("aria-pressed", soundOn ? "true" : "false");
    soundBtn.textContent = t(soundOn ? "wall.big.soundon" : "wall.big.sound");
    if (soundOn) { beep(); }
  });

  // ---- Agents -----------------------------------------------------------------
  var table = $("wall-agents");
  var tbody = table ? table.tBodies[0] : null;
  var canWatch = table && table.dataset.watch === "true";
  var agents = {}, rows = {}, ids = [], day = {}, levels = {};
  var heading = $("wa-h");
  // watches are every supervisor's running supervisions by agent, as the
  // server last said ("supervisions"); watching is this supervisor's own
  // ({agent, mode}) or null.
  var me = document.body.dataset.user || "", watches = {}, watching = null;

  function stateText(a) { return t("state." + (a.state || "logged-out")) + (a.reason ? " · " + a.reason : ""); }
  function hm(s) {
    s = Math.max(0, Math.round(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    return h ? h + " h " + (m < 10 ? "0" : "") + m + " min" : m + " min";
  }
  function makeRow(a) {
    var tr = el("tr", { "data-agent": a.id });
    var th = el("th", { scope: "row" });
    var c = {
      name: th, site: el("td"), st: el("td", { "class": "wa-st" }), badge: el("span", { "class": "badge" }),
      lv: el("span", { "class": "wa-lv" }), watch: el("span", { "class": "badge watch-mark", hidden: "" }),
      in: el("td", { "class": "wa-in" }), queues: el("td"), phone: el("td"),
      calls: el("td", { "class": "num" }), aht: el("td", { "class": "num" }), pause: el("td", { "class": "num" }),
      menu: el("button", { type: "button", "class": "btn wa-open", "aria-haspopup": "menu", "aria-expanded": "false" }, "⋯")
    };
    c.st.appendChild(c.badge);
    c.st.appendChild(c.lv);
    c.st.appendChild(c.watch);
    var mtd = el("td", { "class": "wa-act" });
    mtd.appendChild(c.menu);
    [c.name, c.site, c.st, c.in, c.queues, c.phone, c.calls, c.aht, c.pause, mtd].forEach(function (x) { tr.appendChild(x); });
    tr._c = c;
    return tr;
  }
  function fillRow(tr, a) {
    var c = tr._c, d = day[a.id] || { calls: 0, aht_s: 0, pause_s: 0 };
    setText(c.name, a.id + (a.name ? " " + a.name : ""));
    setText(c.site, a.site || "");
    var cls = "badge state-" + (a.state || "logged-out");
    if (c.badge.className !== cls) { c.badge.className = cls; }
    setText(c.badge, stateText(a));
    var lv = levels[a.id] || "ok", ws = watches[a.id];
    var rcls = (lv === "ok" ? "" : "lv-" + lv) + (ws ? (lv === "ok" ? "" : " ") + "watched" : "");
    if (tr.className !== rcls) { tr.className = rcls; }
    setText(c.lv, lv === "ok" ? "" : (lv === "red" ? "✖ " : "▲ ") + t("wall.big.toolong"));
    setText(c.watch, ws ? ws.map(watchText).join("; ") : "");
    if (c.watch.hidden !== !ws) { c.watch.hidden = !ws; }
    setText(c.in, A.since(a.since));
    setText(c.queues, (a.queues || []).join(", "));
    setText(c.phone, phoneText(a));
    setText(c.calls, String(d.calls));
    setText(c.aht, d.calls || d.aht_s ? minsec(d.aht_s) : "—");
    setText(c.pause, d.pause_s ? hm(d.pause_s) : "—");
    var label = A.fmt("wall.big.menufor", a.id + (a.name ? " " + a.name : ""));
    if (c.menu.getAttribute("aria-label") !== label) { c.menu.setAttribute("aria-label", label); }
  }
  // phoneText is the phone in one word or two: what it is doing when it
  // is registered ("libero"), else that it cannot be reached.
  function phoneText(a) {
    var d = a.phone && a.phone.device, s = a.reachable && d ? t("phone." + d) : "";
    return s && s !== "phone." + d ? s : A.phone(a.reachable, d);
  }
  // watchText says who supervises and how: "Carla Conti in ascolto", or
  // "in ascolto (tu)" for this supervisor's own.
  function watchText(w) {
    if (w.by === me) { return A.fmt("wall.big.watchmine", t("wall.watching." + w.mode)); }
    return A.fmt("wall.big.watchby." + w.mode, w.name || w.by);
  }
  // setWatches takes the server's list of supervisions and redraws the
  // rows whose marks changed.
  function setWatches(list) {
    var next = {}, mine = null;
    (list || []).forEach(function (w) {
      (next[w.agent] = next[w.agent] || []).push(w);
      if (w.by === me) { mine = { agent: w.agent, mode: w.mode }; }
    });
    var changed = Object.keys(watches).concat(Object.keys(next));
    watches = next;
    watching = mine;
    changed.forEach(function (id) { if (rows[id] && agents[id]) { fillRow(rows[id], agents[id]); } });
  }
  function upsert(a) {
    agents[a.id] = a;
    var tr = rows[a.id];
    if (!tr) {
      tr = rows[a.id] = makeRow(a);
      // Keep the rows in id order: binary search for the place.
      var lo = 0, hi = ids.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (ids[mid] < a.id) { lo = mid + 1; } else { hi = mid; } }
      tbody.insertBefore(tr, lo < ids.length ? rows[ids[lo]] : null);
      ids.splice(lo, 0, a.id);
      setText(heading, heading.dataset.fmt.replace("%d", ids.length));
      applyFilter(tr);
    }
    fillRow(tr, a);
  }

  // Filter: rows whose text does not contain what was typed are hidden.
  var filter = $("wa-filter");
  function applyFilter(tr) {
    var q = filter ? filter.value.trim().toLowerCase() : "";
    var hide = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
    if (tr.hidden !== hide) { tr.hidden = hide; }
  }
  if (filter) { filter.addEventListener("input", function () { ids.forEach(function (id) { applyFilter(rows[id]); }); }); }

  function timed(fn) {
    var t0 = performance.now();
    fn();
    var ms = performance.now() - t0;
    perf.updates++; perf.updateTotal += ms; perf.updateMax = Math.max(perf.updateMax, ms);
  }

  // ---- The menu: one for the whole table ---------------------------------------
  var menu = $("wall-menu"), menuFor = null, menuBtn = null;
  var supErr = $("sup-error"), supDone = $("sup-done");
  function done(key) {
    supErr.hidden = true; supDone.textContent = t(key); supDone.hidden = false;
    clearTimeout(done.timer); done.timer = setTimeout(function () { supDone.hidden = true; }, 5000);
  }
  function failed(err) { supDone.hidden = true; A.showError(supErr, err); }
  function closeMenu(focusBack) {
    if (!menu || menu.hidden) { return; }
    menu.hidden = true;
    if (menuBtn) { menuBtn.setAttribute("aria-expanded", "false"); if (focusBack) { menuBtn.focus(); } }
    menuFor = null; menuBtn = null;
  }
  function item(label, act, disabled) {
    var b = el("button", { type: "button", role: "menuitem", "data-act": JSON.stringify(act) }, label);
    b.disabled = !!disabled;
    b.tabIndex = -1;
    menu.appendChild(b);
  }
  function openMenu(btn, id) {
    var a = agents[id];
    if (!a) { return; }
    closeMenu(false);
    menuFor = id; menuBtn = btn;
    menu.textContent = "";
    menu.setAttribute("aria-label", btn.getAttribute("aria-label"));
    // The pause takes the reason chosen in the toolbar, and says which.
    var rs = $("sup-reason"), reason = rs && rs.selectedIndex >= 0 ? rs.options[rs.selectedIndex].text : "";
    item(reason ? A.fmt("wall.big.pausewith", reason) : t("wall.pause"), { state: "paused" }, a.state === "paused" || !reason);
    item(t("wall.free"), { state: "available" }, a.state === "available");
    item(t("wall.logout"), { state: "logged-out" }, a.state === "logged-out");
    if (canWatch) {
      var onCall = a.state === "on-call";
      menu.appendChild(el("hr", { role: "separator" }));
      [["listen", "wall.listen"], ["whisper", "wall.whisper"], ["barge", "wall.barge"]].forEach(function (x) {
        item(t(x[1]), { watch: x[0] }, !onCall || (watching && watching.agent === id && watching.mode === x[0]));
      });
      if (watching && watching.agent === id) { item(t("wall.stop"), { stop: true }); }
      var to = $("move-to") ? $("move-to").value : "";
      if (to) {
        menu.appendChild(el("hr", { role: "separator" }));
        (a.queues || []).forEach(function (q) { if (q !== to) { item(A.fmt("wall.big.moveto", q, to), { from: q, to: to }); } });
        if ((a.queues || []).indexOf(to) < 0) { item(A.fmt("wall.big.addto", to), { from: "", to: to }); }
      }
    }
    var r = btn.getBoundingClientRect();
    menu.hidden = false;
    // Below the button, or above it when the window has no room below.
    var below = r.bottom + 2 + menu.offsetHeight <= window.innerHeight || r.top - 2 - menu.offsetHeight < 0;
    menu.style.top = (window.scrollY + (below ? r.bottom + 2 : r.top - 2 - menu.offsetHeight)) + "px";
    menu.style.left = Math.max(8, window.scrollX + r.right - menu.offsetWidth) + "px";
    btn.setAttribute("aria-expanded", "true");
    var first = menu.querySelector("button:not(:disabled)");
    if (first) { first.focus(); }
  }
  if (menu) {
    document.body.appendChild(menu); // positioned against the page, not the scrolling table
    menu.addEventListener("keydown", function (ev) {
      var items = Array.prototype.slice.call(menu.querySelectorAll("button:not(:disabled)"));
      var i = items.indexOf(document.activeElement);
      if (ev.key === "Escape") { ev.preventDefault(); closeMenu(true); }
      else if (ev.key === "ArrowDown") { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
      else if (ev.key === "Tab") { closeMenu(false); }
    });
    menu.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-act]");
      if (!b || b.disabled) { return; }
      var act = JSON.parse(b.dataset.act), id = menuFor, p;
      closeMenu(true);
      supErr.hidden = true;
      if (act.state) {
        var want = { agent: id, state: act.state };
        if (act.state === "paused") { want.reason = $("sup-reason").value; }
        p = A.send("supervisor.agent.state", want).then(function () { done("call.done"); });
      } else if (act.watch) {
        // The row's mark follows from the "supervisions" every wallboard hears.
        var switching = watching && watching.agent === id;
        p = A.send("supervisor." + act.watch, { agent: id }).then(function () {
          done(switching ? "wall.switched" : "wall.supervising");
        });
      } else if (act.stop) {
        p = A.send("supervisor.stop", {}).then(function () { done("wall.stopped"); });
      } else if (act.to) {
        p = A.send("supervisor.agent.move", { agent: id, from: act.from, to: act.to }).then(function () { done("wall.moved"); });
      }
      if (p) { p.catch(failed); }
    });
    document.addEventListener("click", function (ev) {
      if (!menu.hidden && !menu.contains(ev.target) && ev.target !== menuBtn) { closeMenu(false); }
    });
  }
  if (tbody) {
    tbody.addEventListener("click", function (ev) {
      var b = ev.target.closest("button.wa-open");
      if (!b) { return; }
      if (menuBtn === b) { closeMenu(true); return; }
      openMenu(b, b.closest("tr").dataset.agent);
    });
  }

  // ---- Live ---------------------------------------------------------------------
  function figures(w) {
    var t0 = performance.now();
    fillGrid("wall-queues", w.queues || [], "q");
    fillGrid("wall-sites", w.sites || [], "s");
    alerts(w.breaches || []);
    var at = $("wall-at");
    if (at && w.at) { setText(at, new Date(w.at).toLocaleTimeString(lang)); }
    if (tbody) {
      var next = {};
      (w.agents || []).forEach(function (a) { next[a.id] = a.level; });
      var changed = Object.keys(levels).concat(Object.keys(next));
      levels = next;
      changed.forEach(function (id) { if (rows[id] && agents[id]) { fillRow(rows[id], agents[id]); } });
    }
    perf.figures = Math.max(perf.figures, performance.now() - t0);
  }
  A.on("wall.figures", function (m) { figures(m.data || {}); });
  if (tbody) {
    A.on("agent.state", function (m) { if (m.data && m.data.id) { timed(function () { upsert(m.data); }); } });
    A.on("supervisions", function (m) { timed(function () { setWatches(m.data); }); });
    A.on("wall.agents", function (m) {
      day = m.data || {};
      ids.forEach(function (id) { fillRow(rows[id], agents[id]); });
    });
    // Time in state moves on by itself: one pass a second, text only where it changed.
    var tick = perf.tick = function () {
      var t0 = performance.now(), now = A.now();
      for (var i = 0; i < ids.length; i++) { setText(rows[ids[i]]._c.in, A.since(agents[ids[i]].since, now)); }
      var ms = performance.now() - t0;
      perf.ticks++; perf.tickTotal += ms; perf.tickMax = Math.max(perf.tickMax, ms);
    };
    setInterval(tick, 1000);
  }

  var full = $("wall-full");
  if (full) {
    full.addEventListener("click", function () {
      var p = $("wallpage");
      if (p.requestFullscreen) { p.requestFullscreen().catch(function () { /* refused: stay in the page */ }); }
    });
  }

  // First paint from what the server rendered into the page.
  var init = null;
  try { init = JSON.parse(($("wall-init") || {}).textContent || "null"); } catch (e) { init = null; }
  if (init) {
    day = init.day || {};
    if (tbody) {
      var t0 = performance.now();
      (init.agents || []).forEach(function (a) { upsert(a); });
      perf.render = performance.now() - t0;
      // paint: until the rows are laid out and painted (the task after the next frame).
      requestAnimationFrame(function () { setTimeout(function () { perf.paint = performance.now() - t0; }, 0); });
    }
    if (init.wall) { figures(init.wall); }
  }
})();
