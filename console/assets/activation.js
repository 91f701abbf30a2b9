// The activation board: a countdown that runs in the browser against the
// server's deadline, and the whole board replaced when the hub pushes an
// "activation.board" item (every call result, confirmation, arrival).
(function () {
  "use strict";
  var section = document.getElementById("activation");
  if (!section) { return; }
  var deadline = Date.parse(section.getAttribute("data-deadline"));
  var out = document.getElementById("countdown");
  function tick() {
    var s = Math.round((deadline - Date.now()) / 1000), sign = s < 0 ? "-" : "";
    s = Math.abs(s);
    out.textContent = sign + Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }
  setInterval(tick, 1000);
  function text(id, v) { var el = document.getElementById(id); if (el) { el.textContent = v; } }
  document.addEventListener("ascolto:activation.board", function (e) {
    var b = e.detail;
    if (!b || String(b.id) !== section.getAttribute("data-id")) { return; }
    text("confirmed", b.confirmed);
    text("arrived", b.arrived);
    text("quorum-eta", b.quorum_eta && b.quorum_eta.indexOf("0001") !== 0 ? new Date(b.quorum_eta).toLocaleTimeString() : "—");
    var rows = document.querySelectorAll("#people tbody tr");
    rows.forEach(function (tr) {
      (b.people || []).forEach(function (p) {
        if (String(p.id) === tr.getAttribute("data-id")) {
          tr.className = "state-" + p.state;
          tr.children[2].textContent = p.state;
          tr.children[3].textContent = p.eta_min >= 0 ? p.eta_min + " min" : "";
          tr.children[4].textContent = p.last || "";
        }
      });
    });
  });
})();
