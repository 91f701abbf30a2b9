// ascolto console: one WebSocket per tab, reconnecting by itself and
// resynchronising the full state; live updates of the desk and the
// wallboard; the knowledge-base panel. Plain JavaScript, no framework.
// Extensions (the call panel, the wallboard) listen to DOM events named
// "ascolto:<message type>" on document and send with ascolto.send().
(function () {
  "use strict";
  var T = {};
  try { T = JSON.parse(document.getElementById("ascolto-i18n").textContent); } catch (e) { /* texts stay keys */ }
  function t(k) { return T[k] || k; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function emit(type, msg) { document.dispatchEvent(new CustomEvent("ascolto:" + type, { detail: msg })); }

  var ascolto = {
    t: t,
    on: function (type, fn) { document.addEventListener("ascolto:" + type, function (e) { fn(e.detail); }); },
    send: send,
    el: el,
    showError: function (box, err) { showError(box, err); },
    // fmt fills %s and %d in a translated text, in order.
    fmt: function (key) {
      var args = Array.prototype.slice.call(arguments, 1), i = 0;
      return t(key).replace(/%[sd]/g, function () { return String(args[i++]); });
    },
    // since writes how long ago an ISO time was as a duration ("12 s",
    // "11 min 55 s", "1 h 05 min"): a clock-like 11:55 reads as a time of day.
    since: function (iso, now) {
      if (!iso) { return ""; }
      var s = Math.max(0, Math.floor(((now || ascolto.now()) - Date.parse(iso)) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
      var two = function (n) { return (n < 10 ? "0" : "") + n; };
      if (h) { return h + " h " + two(m) + " min"; }
      return m ? m + " min " + two(r) + " s" : r + " s";
    },
    // phone says in words whether a phone is registered and what it is
    // doing (Asterisk's device state, NOT_INUSE ..., translated).
    phone: function (registered, device) {
      var s = t(registered ? "desk.phoneok" : "desk.phonedown");
      if (registered && device && T["phone." + device]) { s += " · " + T["phone." + device]; }
      return s;
    }
  };
  // skew is the server's clock minus the browser's, from the last hello.
  var skew = 0;
  ascolto.now = function () { return Date.now() + skew; };
  ascolto.setServerNow = function (iso) { var t = Date.parse(iso); if (!isNaN(t)) { skew = t - Date.now(); } };
  window.ascolto = ascolto;

  // ---- WebSocket -------------------------------------------------------
  var meta = document.querySelector('meta[name="ascolto-ws"]');
  var statusEl = $("ws-status");
  var ws = null, csrf = "", seq = 0, counter = 0, backoff = 500, pending = {}, lastAlive = 0;

  function setStatus(s) {
    if (!statusEl) { return; }
    statusEl.dataset.state = s;
    statusEl.textContent = t("ws." + s);
  }

  function connect() {
    setStatus("connecting");
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/ws?t=" + encodeURIComponent(meta.content));
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      handle(m);
    };
    ws.onclose = function (ev) {
      ws = null; csrf = "";
      Object.keys(pending).forEach(function (id) { pending[id].reject({ code: "offline", message: t("ws.offline") }); });
      pending = {};
      if (ev.code === 4401) {
        location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname);
        return;
      }
      setStatus("offline");
      var wait = backoff + Math.random() * backoff;
      backoff = Math.min(backoff * 2, 15000);
      setTimeout(connect, wait);
    };
  }

  function handle(m) {
    switch (m.type) {
      case "hello":
        csrf = m.data.csrf; seq = 0; backoff = 500;
        if (m.data.now) { ascolto.setServerNow(m.data.now); }
        setStatus("online");
        var want = (document.body.dataset.topics || "").split(/\s+/).filter(function (x) {
          return x && (m.data.topics || []).indexOf(x) >= 0;
        });
        (want.length ? send("subscribe", { topics: want }) : Promise.resolve()).then(function () { return send("sync"); })
          .catch(function () { /* the close handler reconnects */ });
        break;
      case "resync":
        setStatus("resync");
        send("sync").catch(function () {});
        break;
      case "synced":
        setStatus("online");
        break;
      case "ack":
      case "error":
        var p = pending[m.key];
        if (p) {
          delete pending[m.key];
          clearTimeout(p.timer);
          if (m.type === "ack") { p.resolve(m.data); } else { p.reject(m.data); }
        }
        break;
      case "state":
        (m.data || []).forEach(handle);
        break;
      case "batch": // several messages in one frame, in order
        (m.data || []).forEach(handle);
        return;
    }
    emit(m.type, m);
  }

  // send sends a message and resolves with the server's acknowledgement,
  // or rejects with {code, message}.
  function send(type, data) {
    return new Promise(function (resolve, reject) {
      if (!ws || ws.readyState !== 1 || !csrf) {
        reject({ code: "offline", message: t("ws.offline") });
        return;
      }
      var id = "m" + (++counter);
      seq += 1;
      var msg = { type: type, id: id, seq: seq, csrf: csrf };
      if (data !== undefined) { msg.data = data; }
      pending[id] = {
        resolve: resolve, reject: reject,
        timer: setTimeout(function () { delete pending[id]; reject({ code: "timeout", message: t("ws.timeout") }); }, 10000)
      };
      ws.send(JSON.stringify(msg));
    });
  }

  // Activity keeps the session alive; an open tab nobody touches does not.
  function activity() {
    var now = Date.now();
    if (now - lastAlive > 60000 && csrf) {
      lastAlive = now;
      send("alive").catch(function () {});
    }
  }

  if (meta) {
    connect();
    document.addEventListener("keydown", activity, { passive: true });
    document.addEventListener("pointerdown", activity, { passive: true });
  }

  function showError(box, err) {
    if (!box) { return; }
    box.textContent = (err && err.message ? err.message : t("ws.offline")) + (err && err.detail ? " (" + err.detail + ")" : "");
    box.hidden = false;
  }

  // ---- Agent desk ------------------------------------------------------
  var stateBox = $("agent-state");
  if (stateBox) {
    var errBox = $("state-error");
    stateBox.addEventListener("click", function (ev) {
      var b = ev.target.closest("[data-agent-state]");
      if (!b) { return; }
      var want = { state: b.dataset.agentState };
      if (want.state === "paused") { want.reason = $("pause-reason").value; }
      errBox.hidden = true;
      b.disabled = true;
      send("agent.state", want).then(function (v) { if (v) { showSelf(v); } }, function (err) { showError(errBox, err); })
        .then(function () { b.disabled = false; });
    });
    ascolto.on("agent.self", function (m) { showSelf(m.data); });
  }

  function showSelf(a) {
    var badge = $("state-badge");
    if (!badge || !a) { return; }
    badge.className = "badge state-" + a.state;
    badge.textContent = t("state." + a.state);
    $("state-reason").textContent = a.reason || "";
    var phone = $("phone-state");
    if (phone && a.phone) {
      phone.textContent = ascolto.phone(a.phone.registered, a.phone.device);
    }
    var qs = $("agent-queues");
    if (qs) { qs.textContent = (a.queues || []).join(", "); }
    var since = $("state-since");
    if (since) { since.dataset.since = a.since || ""; tickSince(since, ascolto.now()); }
  }

  // ---- Knowledge-base panel --------------------------------------------
  var kbForm = $("kb-search");
  if (kbForm) {
    var q = $("kb-q"), results = $("kb-results"), timer = null;
    var run = function () {
      var text = q.value.trim();
      if (text.length < 2) { results.textContent = ""; return; }
      fetch("/api/kb/search?limit=8&q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) { renderHits(results, body.results || []); })
        .catch(function () { results.textContent = ""; });
    };
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
    kbForm.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
  }

  function renderHits(list, hits) {
    list.textContent = "";
    if (!hits.length) { list.appendChild(el("li", {}, t("kb.none"))); return; }
    hits.forEach(function (h) {
      var li = el("li", { "class": "hit", "data-article": h.id });
      li.appendChild(el("a", { href: h.url, target: "_blank", rel: "noopener" }, h.title));
      li.appendChild(el("p", {}, h.snippet));
      var pin = el("button", { type: "button", "class": "btn pin", "aria-label": t("kb.pinit") + ": " + h.title }, t("kb.pinit"));
      var note = el("span", { role: "status" });
      pin.addEventListener("click", function () {
        var caseID = ($("kb-case") || {}).value || "";
        note.textContent = "";
        send("kb.pin", { article: h.id, "case": caseID.trim() })
          .then(function () { note.textContent = " " + t("kb.pinned"); pin.disabled = true; },
            function (err) { note.textContent = " " + (err.message || "") + (err.detail ? " (" + err.detail + ")" : ""); });
      });
      li.appendChild(pin);
      li.appendChild(note);
      list.appendChild(li);
    });
  }

  ascolto.on("mode", function (m) {
    var now = $("mode-now");
    if (now) { now.textContent = t("mode." + m.data.mode); now.dataset.mode = m.data.mode; }
    var why = $("mode-reason");
    if (why) { why.textContent = m.data.reason ? "— " + m.data.reason + (m.data.set_by ? " (" + m.data.set_by + ")" : "") : ""; }
    var banner = $("mode-banner");
    if (banner) { banner.classList.toggle("emergency", m.data.mode === "emergency"); }
  });

  // Times in state tick every second, on the desk and the wallboard.
  // An element with data-since-key puts the duration in that text ("da %s").
  function tickSince(e, now) {
    if (!e.dataset.since) { e.textContent = ""; return; }
    var d = ascolto.since(e.dataset.since, now);
    e.textContent = e.dataset.sinceKey ? ascolto.fmt(e.dataset.sinceKey, d) : d;
  }
  function tickAll() {
    var now = ascolto.now();
    document.querySelectorAll("[data-since]").forEach(function (e) { tickSince(e, now); });
  }
  tickAll();
  setInterval(tickAll, 1000);
})();
