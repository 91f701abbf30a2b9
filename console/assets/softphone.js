// ascolto softphone: a WebRTC phone inside the agent desk, registered to
// Asterisk's PJSIP over WSS with the vendored JsSIP (assets/vendor/jssip).
// It is used when the console is configured with a WSS address; the SIP
// user is the seat's PJSIP endpoint (data-user: what the ACD rings), the
// password is typed by the agent and kept only in this tab's
// sessionStorage (never sent to the console).
// Without a server, a library or a password it says "not registered" and
// the desk works as with a desk phone. window.ascoltoSoftphone.state()
// tells the state to scripts and tests.
(function () {
  "use strict";
  var box = document.getElementById("softphone");
  var A = window.ascolto;
  var state = "unregistered", detail = "";
  var api = { state: function () { return state; }, detail: function () { return detail; } };
  window.ascoltoSoftphone = api;
  if (!box || !A) { return; }
  var t = A.t;
  function $(id) { return document.getElementById(id); }
  var badge = $("sp-state");

  function set(s, why) {
    state = s;
    detail = why || "";
    if (!badge) { return; }
    badge.dataset.state = s;
    badge.className = "badge sp-" + (s === "registered" ? "on" : s === "registering" ? "wait" : "off");
    badge.textContent = t("sp." + s) + (why ? " (" + why + ")" : "");
  }

  var wss = box.dataset.wss, domain = box.dataset.domain, user = box.dataset.user;
  if (!wss || !user) { set("unregistered"); return; }
  if (typeof window.JsSIP === "undefined") { set("unregistered", t("sp.nolib")); return; }
  var JsSIP = window.JsSIP;
  try { JsSIP.debug.disable("JsSIP:*"); } catch (e) { /* older builds */ }

  var form = $("sp-form"), pw = $("sp-password"), off = $("sp-disconnect");
  var callBox = $("sp-call"), callState = $("sp-call-state"), audio = $("sp-audio");
  if (!form) { set("unregistered"); return; }
  var ua = null, session = null;
  var key = "ascolto.sip." + user;

  function showCall(text, ringing) {
    callBox.hidden = !text;
    callState.textContent = text || "";
    $("sp-answer").hidden = !ringing;
  }

  function stop() {
    if (ua) { try { ua.stop(); } catch (e) { /* already stopped */ } }
    ua = null;
    session = null;
    off.hidden = true;
    showCall("");
  }

  function start(password) {
    stop();
    set("registering");
    var socket;
    try {
      socket = new JsSIP.WebSocketInterface(wss);
      ua = new JsSIP.UA({ sockets: [socket], uri: "sip:" + user + "@" + domain, password: password,
        register: true, session_timers: false, connection_recovery_min_interval: 2, connection_recovery_max_interval: 10 });
    } catch (e) {
      set("failed", e.message);
      ua = null;
      return;
    }
    ua.on("registered", function () { set("registered"); off.hidden = false; });
    ua.on("unregistered", function () { set("unregistered"); });
    ua.on("registrationFailed", function (e) {
      set("failed", e && e.cause ? e.cause : "");
      if (e && e.cause === JsSIP.C.causes.AUTHENTICATION_ERROR) { sessionStorage.removeItem(key); }
    });
    ua.on("disconnected", function () { if (state !== "failed") { set("disconnected"); } });
    ua.on("newRTCSession", function (e) {
      if (e.originator !== "remote") { return; }
      if (session) { e.session.terminate({ status_code: 486 }); return; }
      session = e.session;
      var from = session.remote_identity && session.remote_identity.uri ? session.remote_identity.uri.user : "";
      showCall(t("sp.ringing") + (from ? ": " + from : ""), true);
      session.on("peerconnection", function (pe) {
        pe.peerconnection.addEventListener("track", function (te) { if (te.streams[0]) { audio.srcObject = te.streams[0]; } });
      });
      session.on("accepted", function () { showCall(t("sp.incall"), false); });
      var ended = function () { session = null; showCall(t("sp.ended"), false); setTimeout(function () { if (!session) { showCall(""); } }, 3000); };
      session.on("ended", ended);
      session.on("failed", ended);
    });
    ua.start();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var p = pw.value;
    if (!p) { pw.focus(); return; }
    sessionStorage.setItem(key, p);
    pw.value = "";
    start(p);
  });
  off.addEventListener("click", function () { sessionStorage.removeItem(key); stop(); set("unregistered"); });
  $("sp-answer").addEventListener("click", function () {
    if (!session) { return; }
    try {
      session.answer({ mediaConstraints: { audio: true, video: false } });
    } catch (e) { A.showError($("state-error"), { message: t("sp.nomic"), detail: e.message }); }
  });
  $("sp-hangup").addEventListener("click", function () {
    if (session) { try { session.terminate(); } catch (e) { /* already over */ } }
  });
  window.addEventListener("beforeunload", stop);
  api.start = start;
  api.stop = stop;

  set("unregistered");
  var saved = sessionStorage.getItem(key);
  if (saved) { start(saved); }
})();
