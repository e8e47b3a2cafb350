// Site search, with no network and no library: the box in the header loads the version's
// search-index.js (a script assigning window.SITEGEN_SEARCH, so it works from file://) on first
// use, then lists the entries whose title, id or excerpt contain every typed word, titles that
// match first. `/` focuses the box, Escape clears it, Enter opens the first result, the arrow
// keys move between results. A page opened with `?search=words` starts with that search shown.
// Without JavaScript the box stays hidden.
(function () {
  "use strict";
  var form = document.getElementById("site-search");
  var input = document.getElementById("site-search-input");
  var list = document.getElementById("site-search-results");
  if (!form || !input || !list) { return; }
  var root = document.body.getAttribute("data-root") || "";
  var MAX = 12;
  form.hidden = false;
  function load(then) {
    if (window.SITEGEN_SEARCH) { then(); return; }
    if (document.getElementById("site-search-index")) { return; }
    var s = document.createElement("script");
    s.id = "site-search-index";
    s.src = root + "search-index.js";
    s.onload = then;
    document.head.appendChild(s);
  }
  function score(e, words) {
    var title = e.t.toLowerCase();
    var all = title + " " + e.x.toLowerCase() + " " + e.k.toLowerCase();
    var s = 0;
    for (var i = 0; i < words.length; i++) {
      if (all.indexOf(words[i]) === -1) { return -1; }
      if (title.indexOf(words[i]) === 0) { s += 3; } else if (title.indexOf(words[i]) !== -1) { s += 2; }
    }
    return s;
  }
  function show() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { list.hidden = true; return; }
    var hits = [];
    (window.SITEGEN_SEARCH || []).forEach(function (e, i) {
      var s = score(e, words);
      if (s >= 0) { hits.push([s, i, e]); }
    });
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    hits.slice(0, MAX).forEach(function (h) {
      var e = h[2];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + e.u;
      var kind = document.createElement("span");
      kind.className = "search-kind";
      kind.textContent = e.k;
      a.appendChild(kind);
      a.appendChild(document.createTextNode(e.t));
      li.appendChild(a);
      if (e.x) {
        var x = document.createElement("span");
        x.className = "search-snippet";
        x.textContent = e.x;
        li.appendChild(x);
      }
      list.appendChild(li);
    });
    if (!hits.length) {
      var none = document.createElement("li");
      none.className = "search-none";
      none.textContent = "No match.";
      list.appendChild(none);
    }
    list.hidden = false;
  }
  input.addEventListener("focus", function () { load(show); });
  input.addEventListener("input", function () { load(show); });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var first = list.querySelector("a");
    if (first) { window.location.href = first.href; }
  });
  form.addEventListener("keydown", function (ev) {
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    var at = links.indexOf(document.activeElement);
    if (ev.key === "Escape") { input.value = ""; show(); input.blur(); }
    else if (ev.key === "ArrowDown" && links.length) { ev.preventDefault(); links[Math.min(at + 1, links.length - 1)].focus(); }
    else if (ev.key === "ArrowUp" && at !== -1) { ev.preventDefault(); (at === 0 ? input : links[at - 1]).focus(); }
  });
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
    if (ev.key === "/" && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      input.focus();
    }
  });
  var initial = new URLSearchParams(window.location.search).get("search");
  if (initial) { input.value = initial; load(show); }
  document.addEventListener("click", function (ev) {
    if (!form.contains(ev.target)) { list.hidden = true; }
  });
})();
