// Optional enhancement: the version list and the "newer version" banner follow
// site/versions.js, which every build rewrites; without JavaScript the list written at build
// time is shown instead. Nothing else on the site needs JavaScript.
(function () {
  "use strict";
  var versions = window.SITEGEN_VERSIONS;
  var body = document.body;
  if (!Array.isArray(versions) || versions.length === 0 || !body) { return; }
  var current = body.getAttribute("data-version");
  var root = body.getAttribute("data-root") || "";
  var list = document.getElementById("version-list");
  if (list) {
    list.textContent = "";
    versions.forEach(function (v) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + "../" + encodeURIComponent(v.version) + "/index.html";
      a.textContent = v.title || v.version;
      if (v.version === current) { a.setAttribute("aria-current", "true"); }
      (v.aliases || []).forEach(function (alias) {
        var s = document.createElement("span");
        s.className = "alias";
        s.textContent = alias;
        a.appendChild(document.createTextNode(" "));
        a.appendChild(s);
      });
      li.appendChild(a);
      list.appendChild(li);
    });
  }
  var newest = versions[0].version;
  var inLatestCopy = window.location.pathname.indexOf("/latest/") !== -1;
  if (newest !== current && !inLatestCopy) {
    var banner = document.getElementById("old-version");
    var link = document.getElementById("newest-link");
    if (link) { link.href = root + "../" + encodeURIComponent(newest) + "/index.html"; }
    if (banner) { banner.hidden = false; }
  }
})();
