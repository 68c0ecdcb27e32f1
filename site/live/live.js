// cohort serve: reloads this tab when the page is rebuilt, swaps stylesheets when
// only CSS changed, and shows build errors over the page until they are fixed.
(function () {
  "use strict";
  var overlay = null;

  function here() {
    var p = location.pathname;
    return p.endsWith("/") ? p + "index.html" : p;
  }

  function showError(message) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "cohort-error";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "background:rgba(20,20,20,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2rem";
      var title = document.createElement("p");
      title.style.cssText = "color:#ff8a80;font-weight:bold;font-size:16px;margin:0 0 1rem";
      title.textContent = "cohort: the last save did not build. Fix the file and save again.";
      var pre = document.createElement("pre");
      pre.style.cssText = "white-space:pre-wrap;margin:0";
      overlay.appendChild(title);
      overlay.appendChild(pre);
      document.body.appendChild(overlay);
    }
    overlay.querySelector("pre").textContent = message;
  }

  function clearError() {
    if (overlay) {
      overlay.remove();
      overlay = null;
    }
  }

  function swapCSS() {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      var url = new URL(links[i].href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("v", Date.now().toString(36));
      links[i].href = url.toString();
    }
  }

  var events = new EventSource("/_cohort/events");
  events.addEventListener("reload", function (e) {
    var data = JSON.parse(e.data);
    var paths = data.paths || [];
    var mine = paths.length === 0 || paths.indexOf(here()) >= 0 ||
      paths.some(function (p) { return !/\.(html|css|json|xml|txt)$/.test(p); });
    clearError();
    if (mine) location.reload();
  });
  events.addEventListener("css", function () { clearError(); swapCSS(); });
  events.addEventListener("failed", function (e) {
    if (e.data) showError(JSON.parse(e.data).message);
  });
  events.addEventListener("ok", clearError);
})();
