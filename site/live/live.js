// cohort serve: reloads this tab when the page is rebuilt, swaps stylesheets when
// only CSS changed, and shows build errors over the page until they are fixed.
(function () {
  "use strict";
  var overlay = null;

  function here() {
    var p = location.pathname;
    return p.endsWith("/") ? p + "index.html" : p;
  }

  // The overlay sets every colour it shows, on every element, so that no rule of
  // the page's own stylesheet (its pre background, say) can put light text on a
  // light ground. Its colours follow the reader's light or dark setting (or choice
  // on the theme's toggle, data-theme on <html>); each pair
  // has a contrast ratio above 7:1 (WCAG AAA).
  var palette = {
    light: { ground: "#ffffff", text: "#1b1b1b", title: "#a1001b", rule: "#d0d0d0" },
    dark: { ground: "#161616", text: "#f2f2f2", title: "#ff9e94", rule: "#444444" }
  };
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function paint() {
    if (!overlay) return;
    // the reader's choice on the default theme's toggle, else the system's
    var chosen = document.documentElement.getAttribute("data-theme");
    var c = palette[chosen === "dark" || (chosen !== "light" && darkQuery && darkQuery.matches) ? "dark" : "light"];
    overlay.style.background = c.ground;
    overlay.style.color = c.text;
    overlay.querySelector("p").style.color = c.title;
    overlay.querySelector("p").style.borderBottom = "1px solid " + c.rule;
    var pre = overlay.querySelector("pre");
    pre.style.background = c.ground;
    pre.style.color = c.text;
  }
  if (darkQuery && darkQuery.addEventListener) darkQuery.addEventListener("change", paint);

  function showError(message) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "cohort-error";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "font:14px/1.5 ui-monospace,monospace;padding:2rem;margin:0;text-align:left";
      var title = document.createElement("p");
      title.style.cssText = "font:bold 16px/1.4 ui-monospace,monospace;margin:0 0 1rem;padding:0 0 .75rem";
      title.textContent = "cohort: the last save did not build. Fix the file and save again.";
      var pre = document.createElement("pre");
      pre.style.cssText = "white-space:pre-wrap;margin:0;padding:0;border:0;border-radius:0;" +
        "box-shadow:none;font:inherit;overflow:visible";
      overlay.appendChild(title);
      overlay.appendChild(pre);
      document.body.appendChild(overlay);
      paint();
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
