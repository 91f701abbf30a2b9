// The case page: picking the closing email template shows what it does
// (the case closes with the message) and asks for the outcome to close
// it with; any other template hides that again. The server enforces the
// same rule without this script.
(function () {
  "use strict";
  var tpl = document.getElementById("r-template");
  var box = document.getElementById("r-closing");
  var outcome = document.getElementById("r-outcome");
  var send = document.getElementById("r-send");
  if (!tpl || !box || !outcome || !send) { return; }
  var sendLabel = send.textContent;
  function sync() {
    var opt = tpl.options[tpl.selectedIndex];
    var closes = !!(opt && opt.getAttribute("data-closes") === "1");
    box.hidden = !closes;
    outcome.required = closes;
    send.textContent = closes ? send.getAttribute("data-close-label") : sendLabel;
  }
  tpl.addEventListener("change", sync);
  sync();
})();

// A canned reply picked in the reply form fills the text, the template
// and the language it was written for; the operator can still edit the
// text. Without this script the server fills them the same way when the
// text is left empty.
(function () {
  "use strict";
  var canned = document.getElementById("r-canned");
  var tpl = document.getElementById("r-template");
  var lang = document.getElementById("r-lang");
  var text = document.getElementById("r-text");
  if (!canned || !tpl || !lang || !text) { return; }
  canned.addEventListener("change", function () {
    var opt = canned.options[canned.selectedIndex];
    if (!opt || !opt.value) { return; }
    tpl.value = opt.getAttribute("data-template");
    lang.value = opt.getAttribute("data-lang");
    text.value = opt.getAttribute("data-body");
    tpl.dispatchEvent(new Event("change"));
  });
})();
