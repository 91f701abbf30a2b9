// ascolto agent desk: the call panel. The server sends "desk.calls" (the
// calls on this agent's desk: the one offered or in progress and any
// answered without a saved record) and "agent.self"; this script draws the
// screen pop, the call controls, the disposition form and the reminders
// from them. Plain JavaScript; every control is a labelled form element.
(function () {
  "use strict";
  var A = window.ascolto;
  if (!A || !document.getElementById("call-panel")) { return; }
  var t = A.t, el = A.el;
  function $(id) { return document.getElementById(id); }

  var calls = [];        // from desk.calls, oldest first
  var shown = "";        // call id the panel shows
  var self = null;       // the agent's latest state
  var announced = {};    // calls already announced to screen readers
  var ops = {};          // tracking id -> what the operations room did with it
  var dirty = {};        // call id -> the agent typed in the form

  function popOf(c) { return c && c.pop ? c.pop : {}; }
  function callerOf(p) { return p.caller || t("pop.unknown"); }

  // The call the panel should show: the one in progress, else the newest
  // answered without a record, else the newest saved one.
  function pick() {
    if (!calls.length) { return null; }
    for (var i = calls.length - 1; i >= 0; i--) {
      if (!calls[i].overdue && !calls[i].tracking_id) { return calls[i]; }
    }
    for (var j = calls.length - 1; j >= 0; j--) {
      if (calls[j].overdue && !calls[j].tracking_id) { return calls[j]; }
    }
    return calls[calls.length - 1];
  }

  function find(id) {
    for (var i = 0; i < calls.length; i++) { if (calls[i].call === id) { return calls[i]; } }
    return null;
  }

  // ---- Reminders ---------------------------------------------------------
  function drawReminders() {
    var box = $("reminders");
    box.textContent = "";
    var overdue = calls.filter(function (c) { return c.overdue && !c.tracking_id; });
    if (self && self.state === "wrap-up") {
      box.appendChild(el("p", { "class": "alert warn", id: "wrapup-note" }, t("remind.wrapup")));
    }
    if (!overdue.length) { return; }
    var div = el("div", { "class": "alert err reminder", role: "alert", id: "overdue" });
    div.appendChild(el("p", {})).appendChild(el("strong", {}, t("remind.heading")));
    var ul = el("ul");
    overdue.forEach(function (c) {
      var p = popOf(c);
      var li = el("li", { "data-call": c.call });
      var when = c.offered_at ? new Date(c.offered_at).toLocaleTimeString(document.documentElement.lang) : "";
      li.appendChild(document.createTextNode(A.fmt("remind.item", callerOf(p), when) + " "));
      var b = el("button", { type: "button", "class": "btn", "data-open": c.call }, t("remind.open"));
      li.appendChild(b);
      ul.appendChild(li);
    });
    div.appendChild(ul);
    box.appendChild(div);
  }
  $("reminders").addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-open]");
    if (!b) { return; }
    var c = find(b.dataset.open);
    if (c) { showCall(c); $("d-category").focus(); }
  });

  // ---- Screen pop ----------------------------------------------------------
  function show(c) {
    if (!c) {
      shown = "";
      $("call-panel").hidden = true;
      $("call-idle").hidden = false;
      return;
    }
    var p = popOf(c);
    var fresh = shown !== c.call;
    if (!fresh) { drawControls(c); drawSaved(c); return; }
    shown = c.call;
    $("call-idle").hidden = true;
    $("call-panel").hidden = false;
    $("pop-caller").textContent = callerOf(p);
    $("pop-name").textContent = p.caller_name || "";
    $("pop-queue").textContent = p.queue || "";
    var path = $("pop-path");
    path.textContent = "";
    (p.ivr_path || []).forEach(function (step) { path.appendChild(el("li", {}, step)); });
    if (!(p.ivr_path || []).length) { path.appendChild(el("li", {}, "—")); }
    $("pop-digits").textContent = p.digits || "—";
    $("pop-comune").textContent = p.comune ? p.comune + (p.comune_code ? " · " + p.comune_code : "") : "—";
    $("pop-arrived").textContent = p.arrived_at ? new Date(p.arrived_at).toLocaleTimeString(document.documentElement.lang) : "";
    // Training: what the simulated caller says (the simulator has no voice).
    $("pop-transcript").hidden = !p.transcript;
    $("pop-transcript-text").textContent = p.transcript || "";
    var prev = $("pop-previous");
    prev.textContent = "";
    (p.previous || []).forEach(function (pc) {
      var li = el("li");
      li.appendChild(el("a", { href: "/cases/" + encodeURIComponent(pc.tracking_id), target: "_blank", rel: "noopener" }, pc.tracking_id));
      var bits = [pc.created_at ? new Date(pc.created_at).toLocaleDateString(document.documentElement.lang) : "", pc.category, pc.status, pc.summary]
        .filter(function (x) { return x; });
      li.appendChild(document.createTextNode(" " + bits.join(" · ")));
      if (pc.urgency === "rescue") { li.appendChild(el("span", { "class": "badge urgency-rescue" }, "⚠ " + t("urgency.rescue"))); }
      prev.appendChild(li);
    });
    if (!(p.previous || []).length) { prev.appendChild(el("li", {}, t("pop.none"))); }
    var urg = $("pop-urgency");
    urg.className = "urgency";
    urg.textContent = "";
    urg.hidden = true;
    if (p.rescue || p.urgency === "rescue") {
      urg.className = "urgency urgency-rescue";
      urg.appendChild(el("span", { "class": "icon", "aria-hidden": "true" }, "⚠"));
      urg.appendChild(el("strong", {}, " " + t("pop.rescue")));
      urg.hidden = false;
      $("pop").classList.add("is-rescue");
    } else {
      $("pop").classList.remove("is-rescue");
      if (p.urgency === "elevated") {
        urg.className = "urgency urgency-elevated";
        urg.textContent = t("pop.elevated");
        urg.hidden = false;
      }
    }
    // The knowledge-base panel pins to this call's case (none until saved).
    var kb = $("kb-case");
    if (kb) { kb.value = c.tracking_id || p["case"] || ""; }
    if (!announced[c.call]) {
      announced[c.call] = true;
      $("desk-announce").textContent = (p.rescue || p.urgency === "rescue") ? A.fmt("pop.rescuesay", callerOf(p))
        : A.fmt("pop.offered", callerOf(p), p.queue || "");
    }
    resetForm(c);
    drawControls(c);
    drawSaved(c);
  }

  function resetForm(c) {
    var p = popOf(c), f = $("disposition");
    if (dirty[c.call]) { return; }
    f.reset();
    $("d-call").value = c.call;
    // The rescue request starts with the caller's number to call back
    // (in training the trainee types what the caller says).
    if (window.ascoltoRescue) { window.ascoltoRescue.reset(p.transcript ? "" : (p.caller || "")); }
    // Training (the pop carries what the caller says): the trainee fills
    // the form from what they hear, so nothing is filled in for them.
    if (p.transcript) { $("disp-error").hidden = true; return; }
    if (p.category) { $("d-category").value = p.category; }
    if (p.comune_code) { $("d-comune").value = (p.comune ? p.comune + " · " : "") + p.comune_code; }
    var u = (p.rescue || p.urgency === "rescue") ? "rescue" : (p.urgency === "elevated" ? "elevated" : "none");
    f.querySelector('input[name="urgency"][value="' + u + '"]').checked = true;
    $("disp-error").hidden = true;
  }

  function drawControls(c) {
    var live = self && self.state === "on-call" && c === pick() && !c.overdue;
    document.querySelectorAll("#call-controls button, #xfer-target").forEach(function (b) {
      // Only the one of Hold and Resume that applies.
      var off = (b.dataset.call === "hold" && c.held) || (b.dataset.call === "unhold" && !c.held);
      b.disabled = !live || off;
    });
  }

  function drawSaved(c) {
    var box = $("saved");
    if (c.tracking_id) {
      $("saved-id").textContent = c.tracking_id;
      $("saved-link").href = "/cases/" + encodeURIComponent(c.tracking_id);
      box.hidden = false;
      $("d-save").textContent = t("disp.update");
      var kb = $("kb-case");
      if (kb) { kb.value = c.tracking_id; }
      $("saved-ops").textContent = ops[c.tracking_id] || "";
      $("saved-ops").hidden = !ops[c.tracking_id];
    } else {
      box.hidden = true;
      $("d-save").textContent = t("disp.save");
    }
  }

  // showCall puts a call the agent chose (a reminder) on the panel.
  var chosen = "";
  function showCall(c) { chosen = c.call; show(c); }

  function redraw() {
    var live = pick(), c = chosen ? find(chosen) : null;
    // A call in progress always wins over a record being completed.
    if (!c || c.tracking_id || (live && !live.overdue && !live.tracking_id && live.call !== chosen)) { chosen = ""; c = live; }
    show(c);
    drawReminders();
  }

  A.on("desk.calls", function (m) {
    calls = (m.data && m.data.calls) || [];
    redraw();
  });
  A.on("agent.self", function (m) { self = m.data; redraw(); });
  // A blind transfer to a number that did not take the call: the caller
  // is back in the queue, and the agent who transferred them is told.
  A.on("transfer.refused", function (m) {
    var v = m.data || {}, why = t("call.dial." + v.status);
    if (why === "call.dial." + v.status) { why = v.status || ""; }
    var box = $("desk-notice");
    box.textContent = t("call.xferrefused") + " " + v.number + (why ? " (" + why + ")" : "") +
      ": " + t("call.xferback") + " " + v.queue + " (" + v.caller + ").";
    box.hidden = false;
  });

  // What the operations room does with a case this agent forwarded.
  A.on("opsroom.update", function (m) {
    var v = m.data || {};
    var said = t("disp.opsupdate") + " " + v.tracking_id + ": " + t("disp.ops." + v.state);
    if (v.assignee) { said += " (" + v.assignee + ")"; }
    $("desk-announce").textContent = said;
    ops[v.tracking_id] = said;
    redraw();
  });

  // Training: the score of the form just saved, against what the scenario expected.
  A.on("training.score", function (m) {
    var s = m.data || {}, box = $("training-score");
    var parts = [
      [s.rescue, t("train.rescue")], [s.category, t("train.category")],
      [s.comune, t("train.comune")], [s.outcome, t("train.outcome")]
    ].map(function (x) { return (x[0] ? "✓ " : "✗ ") + x[1]; });
    box.textContent = t("train.score") + ": " + s.points + "/100 · " + parts.join(" · ") +
      (s.handle_time ? " · " + Math.round(s.handle_time / 1e9) + " s" : "");
    box.className = "training " + (s.points >= 80 ? "good" : "poor");
    box.hidden = false;
  });

  // ---- Call controls -------------------------------------------------------
  $("call-controls").addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-call]");
    if (!b) { return; }
    var msg = { action: b.dataset.call }, box = $("call-error");
    box.hidden = true;
    if (msg.action === "transfer") {
      msg.target = $("xfer-target").value.trim();
      if (!msg.target) { A.showError(box, { message: t("call.notarget") }); $("xfer-target").focus(); return; }
    }
    b.disabled = true;
    A.send("agent.call", msg).then(function () {
      $("desk-announce").textContent = t("call.done");
    }, function (err) { A.showError(box, err); }).then(function () {
      var c = find(shown);
      if (c) { drawControls(c); } else { b.disabled = false; }
    });
  });

  // ---- Disposition form ----------------------------------------------------
  var form = $("disposition");
  form.addEventListener("input", function () { if (shown) { dirty[shown] = true; } });

  // comuneCode reads the ISTAT code out of what the input holds: the
  // type-ahead's "L'Aquila (AQ) · 066049" or a bare 6-digit code.
  function comuneCode(text) {
    var m = /(^|\D)(\d{6})\s*$/.exec(text.trim());
    return m ? m[2] : "";
  }

  // resolveComune finds the code of a comune typed in full without
  // picking a suggestion ("Faenza"): the one comune with exactly that name,
  // or an error naming what went wrong (none, or several to choose from).
  function resolveComune(text) {
    var code = comuneCode(text);
    if (!text || code) { return Promise.resolve(code); }
    return fetch("/api/comuni?exact=1&q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (body) {
        var hits = body.results || [];
        if (hits.length === 1) { $("d-comune").value = hits[0].text; return hits[0].code; }
        if (hits.length > 1) {
          list.textContent = "";
          hits.forEach(function (h) { list.appendChild(el("option", { value: h.text })); });
          throw { message: t("disp.ambiguouscomune") };
        }
        throw { message: t("disp.badcomune") };
      }, function () { throw { message: t("disp.badcomune") }; });
  }

  // What was said wrong about the form goes as the agent changes it, so a
  // fixed field does not stay reproached until the next save.
  form.addEventListener("input", function () { $("disp-error").hidden = true; });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var box = $("disp-error");
    box.hidden = true;
    var comuneText = $("d-comune").value.trim(), code = comuneCode(comuneText);
    var data = {
      call: $("d-call").value,
      category: $("d-category").value,
      outcome: $("d-outcome").value,
      caller_type: $("d-caller-type").value,
      comune: code,
      notes: $("d-notes").value,
      urgency: (form.querySelector('input[name="urgency"]:checked') || { value: "none" }).value
    };
    if (!data.category || !data.outcome) {
      A.showError(box, { message: t("disp.missing") });
      (data.category ? $("d-outcome") : $("d-category")).focus();
      return;
    }
    var rescue = window.ascoltoRescue;
    if (data.urgency === "rescue" && rescue) {
      var r = rescue.collect();
      if (r.error) { A.showError(box, { message: r.error }); rescue.focus(r.field); return; }
      if (r.value) { data.rescue = r.value; }
    }
    var save = $("d-save");
    save.disabled = true;
    resolveComune(comuneText).then(function (c) {
      data.comune = c;
      return A.send("disposition.save", data).then(saved, function (err) {
        A.showError(box, err);
        if (rescue && err && /^invalid_rescue\./.test(err.code || "")) { rescue.focus(err.code.split(".")[1]); }
      });
    }, function (err) { A.showError(box, err); $("d-comune").focus(); }).then(function () { save.disabled = false; });
    function saved(res) {
      delete dirty[data.call];
      var c = find(data.call);
      if (c) { c.tracking_id = res.tracking_id; c.overdue = false; }
      if (res.forwarded && !ops[res.tracking_id]) { ops[res.tracking_id] = t("disp.forwarded"); }
      var said = t("disp.saved") + " " + t("disp.tracking") + " " + res.tracking_id;
      if (res.forwarded) { said += " " + t("disp.forwarded"); }
      $("desk-announce").textContent = said;
      if (res.forward_failed) { A.showError(box, { message: t("disp.forwardfailed") }); }
      if (c) { drawSaved(c); }
      drawReminders();
    }
  });

  // Comune type-ahead: suggestions from /api/comuni into the datalist;
  // without it, a 6-digit code typed by hand works the same.
  var comune = $("d-comune"), list = $("d-comuni"), timer = null, lastQ = "";
  comune.addEventListener("input", function () {
    clearTimeout(timer);
    var q = comune.value.trim();
    if (q.length < 2 || comuneCode(q) || q === lastQ) { return; }
    timer = setTimeout(function () {
      lastQ = q;
      fetch("/api/comuni?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) {
          list.textContent = "";
          (body.results || []).forEach(function (h) { list.appendChild(el("option", { value: h.text })); });
        })
        .catch(function () { /* the plain code still works */ });
    }, 200);
  });
})();
