// The activation board, live. Whenever the hub pushes an
// "activation.board" item of this page's kind (real or exercise) — an
// activation opened, a call ended, someone confirmed or arrived, the
// activation closed — the page is fetched again and its live part
// swapped, so the server's template draws it in the viewer's language;
// the close and open forms (outside the live part, so nothing typed in
// them is lost) show according to whether an activation is open.
//
// The countdown runs from the seconds remaining on the server's clock,
// never from the browser's: the demo's clock runs ahead of the wall clock,
// and a browser's clock may be wrong. Between two fetches it advances at
// the rate the server's clock was seen to run.
(function () {
  "use strict";
  var live = document.getElementById("activation-live");
  if (!live) { return; }
  var exercise = live.getAttribute("data-exercise") === "1";
  var closeForm = document.getElementById("activation-close");
  var openForm = document.getElementById("activation-open");

  // The countdown's reference: seconds remaining and the server's time
  // when the page was drawn, and the browser's monotonic time then.
  var ref = null, rate = 1;
  function take() {
    var s = document.getElementById("activation");
    var open = !!(s && s.getAttribute("data-open") === "1");
    if (closeForm) { closeForm.hidden = !open; }
    if (openForm) { openForm.hidden = open; }
    if (!s) { ref = null; return; }
    var rem = parseInt(s.getAttribute("data-remaining"), 10), now = Date.parse(s.getAttribute("data-now"));
    var at = performance.now();
    if (ref && ref.id === s.getAttribute("data-id") && !isNaN(now) && !isNaN(ref.now) && at - ref.at > 5000) {
      // The server's clock over the wall clock since the last drawing.
      var r = (now - ref.now) / (at - ref.at);
      if (r > 0.1 && r < 1000) { rate = r; }
    }
    ref = isNaN(rem) ? null : { id: s.getAttribute("data-id"), rem: rem, now: now, at: at };
    tick();
  }
  function tick() {
    var out = document.getElementById("countdown");
    if (!out || !ref) { return; }
    var s = Math.round(ref.rem - (performance.now() - ref.at) / 1000 * rate), sign = s < 0 ? "-" : "";
    s = Math.abs(s);
    out.textContent = sign + Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }
  setInterval(tick, 1000);

  // One fetch at a time; changes during a fetch cost one more, not one each.
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname + location.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || !r.ok) { throw new Error("activation: " + r.status); }
        return r.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("activation-live");
        if (next) {
          live.replaceChildren.apply(live, Array.prototype.slice.call(next.childNodes).map(function (n) { return document.importNode(n, true); }));
          take();
        }
      })
      .catch(function () { /* the next change or the periodic refresh tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  document.addEventListener("ascolto:activation.board", function (e) {
    var b = e.detail && e.detail.data;
    if (!b || !!b.exercise !== exercise) { return; }
    refresh();
  });
  // After a reconnection the hub resends the board; between changes, a
  // slow refresh keeps the countdown on the server's clock.
  setInterval(function () {
    if (ref && document.visibilityState !== "hidden") { refresh(); }
  }, 30000);
  take();
})();
