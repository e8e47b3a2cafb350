// Opens the closed <details> sections holding the element the URL's #fragment names, when the
// page loads and when the fragment changes, then scrolls to it: a link to a folded-away
// commit (history/index.html#c-<id>) still lands on it. Without JavaScript, browsers that
// do not open details on fragment navigation leave it folded; its day is still listed.
(function () {
  "use strict";
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  reveal();
})();
