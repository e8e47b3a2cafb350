// Optional enhancement: pages carry no version name, so a page that did not change is
// byte-identical in every version and is shared between them. The version name comes from the
// page's own location (the folder above the page's root), and the version list and the "newer
// version" banner follow site/versions.js, which every build rewrites. Without JavaScript the
// switcher links to site/versions.html instead. Nothing else on the site needs JavaScript.
(function () {
  "use strict";
  var body = document.body;
  if (!body) { return; }
  var root = body.getAttribute("data-root") || "";
  var versionDir = new URL(root || "./", window.location.href).pathname.split("/");
  var folder = decodeURIComponent(versionDir[versionDir.length - 2] || "");
  var versions = window.SITEGEN_VERSIONS;
  if (!Array.isArray(versions)) { versions = []; }
  // `latest` (or another alias) names the version that carries it.
  var current = folder;
  var viaAlias = false;
  versions.forEach(function (v) {
    if ((v.aliases || []).indexOf(folder) !== -1) { current = v.version; viaAlias = true; }
  });
  if (current) {
    Array.prototype.forEach.call(document.querySelectorAll(".version-name"), function (el) {
      el.textContent = current;
    });
    document.title = document.title + " (" + current + ")";
  }
  if (versions.length === 0) { return; }
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
  if (newest !== current && !viaAlias) {
    var banner = document.getElementById("old-version");
    var link = document.getElementById("newest-link");
    var newestRoot = root + "../" + encodeURIComponent(newest) + "/";
    if (link) {
      // The newest version's home until its page list (<version>/pages.js) says this page
      // exists there too; then the same page, at the same fragment (as mike and Read the Docs).
      link.href = newestRoot + "index.html";
      var here = body.getAttribute("data-path");
      if (here !== null) {
        var script = document.createElement("script");
        script.src = newestRoot + "pages.js";
        script.onload = function () {
          var pages = window.SITEGEN_PAGES;
          if (Array.isArray(pages) && pages.indexOf(here) !== -1) {
            link.href = newestRoot + (here ? here + "/" : "") + "index.html" + window.location.hash;
            link.textContent = "open this page in the newest version";
          }
        };
        document.head.appendChild(script);
      }
    }
    if (banner) { banner.hidden = false; }
  }
})();
