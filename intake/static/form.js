// Progressive enhancement of the public form: the form works without it.
// It adds the comuni type-ahead (an ARIA combobox over /segnalazione/comuni)
// and the "use my location" button. No third-party code, no tracking.
(function () {
  "use strict";
  document.documentElement.className += " js";

  var input = document.querySelector("[data-typeahead]");
  var code = document.querySelector('input[type=hidden][name=comune]');
  if (input && code) {
    var list = document.createElement("ul");
    list.id = "comune-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    var active = -1, timer = null, seq = 0;
    var close = function () { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; };
    var choose = function (li) {
      input.value = li.textContent;
      code.value = li.getAttribute("data-code");
      close();
    };
    var show = function (items) {
      list.innerHTML = "";
      items.forEach(function (it, i) {
        var li = document.createElement("li");
        li.id = "comune-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("data-code", it.code);
        li.textContent = it.label;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      active = -1;
    };
    input.addEventListener("input", function () {
      code.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(input.getAttribute("data-typeahead") + "?q=" + encodeURIComponent(q))
          .then(function (r) { return r.json(); })
          .then(function (items) { if (mine === seq) { show(items); } })
          .catch(close);
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      var opts = list.querySelectorAll("li");
      if (list.hidden || !opts.length) { return; }
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : -1) + opts.length) % opts.length;
        opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
        input.setAttribute("aria-activedescendant", opts[active].id);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(opts[active]);
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  var geo = document.querySelector(".geolocate");
  if (geo && navigator.geolocation) {
    geo.hidden = false;
    var status = document.querySelector(".geo-status");
    geo.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("f-lat").value = p.coords.latitude.toFixed(5);
        document.getElementById("f-lon").value = p.coords.longitude.toFixed(5);
        status.textContent = "";
      }, function () {
        status.textContent = geo.getAttribute("data-denied");
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
})();
