// Filters table rows as the reader types, with no network: an input with
// `data-filter-rows="<selector>"` shows only the rows matching that selector whose
// `data-filter` text (or, without it, their text) contains every typed word, case-insensitive.
// A `[data-filter-group]` section with no row left is hidden; `[data-filter-count]` says how many
// rows show, `[data-filter-none]` appears when none does. Without JavaScript the input stays
// hidden and every row shows.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-rows]"), function (input) {
    var rows = Array.prototype.slice.call(document.querySelectorAll(input.getAttribute("data-filter-rows")));
    var texts = rows.map(function (r) {
      return (r.getAttribute("data-filter") || r.textContent).toLowerCase();
    });
    var groups = Array.prototype.slice.call(document.querySelectorAll("[data-filter-group]"));
    var count = document.querySelector("[data-filter-count]");
    var none = document.querySelector("[data-filter-none]");
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var ok = words.every(function (w) { return texts[i].indexOf(w) !== -1; });
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      groups.forEach(function (g) {
        g.hidden = !g.querySelector("[data-filter]:not([hidden])");
      });
      if (count) { count.textContent = words.length ? shown + " of " + rows.length : ""; }
      if (none) { none.hidden = shown !== 0; }
    }
    if (input.parentElement) { input.parentElement.hidden = false; }
    input.addEventListener("input", apply);
    apply();
  });
})();
