// Draws the page's ```mermaid blocks (pre.mermaid, their source as text) as SVG.
// Loaded, after mermaid.min.js, only on pages that have a diagram. Strict security:
// no HTML labels or click handlers from a diagram's text. The diagram follows the
// reader's light or dark setting.
//
// The site's Content-Security-Policy allows no inline styles, so the <style> Mermaid
// puts in each SVG and its style attributes are ignored by the browser. This script,
// loaded from the site itself, applies them again through the CSS object model,
// which the policy leaves to scripts it allows.
(function () {
  "use strict";
  if (!window.mermaid) return;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });

  function applyStyles() {
    var sheets = [];
    document.querySelectorAll("pre.mermaid svg").forEach(function (svg) {
      svg.querySelectorAll("style").forEach(function (el) {
        try {
          var sheet = new CSSStyleSheet();
          sheet.replaceSync(el.textContent);
          sheets.push(sheet);
        } catch (e) {
          if (window.console) console.error("mermaid styles:", e);
        }
      });
      [svg].concat(Array.prototype.slice.call(svg.querySelectorAll("[style]"))).forEach(function (el) {
        var css = el.getAttribute("style");
        if (css) el.style.cssText = css;
      });
    });
    if (sheets.length && "adoptedStyleSheets" in document) {
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat(sheets);
    }
  }

  window.mermaid.run({ querySelector: "pre.mermaid" }).then(function () {
    applyStyles();
    document.documentElement.dataset.diagrams = "drawn";
  }, function (err) {
    document.documentElement.dataset.diagrams = "failed";
    if (window.console) console.error("mermaid:", err);
  });
})();
