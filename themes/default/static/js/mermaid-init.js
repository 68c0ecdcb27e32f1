// Draws the page's ```mermaid blocks (pre.mermaid, their source as text) as SVG.
// Loaded, after mermaid.min.js, only on pages that have a diagram. Strict security:
// no HTML labels or click handlers from a diagram's text. The diagram follows the
// reader's light or dark setting.
(function () {
  "use strict";
  if (!window.mermaid) return;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });
  window.mermaid.run({ querySelector: "pre.mermaid" }).then(function () {
    document.documentElement.dataset.diagrams = "drawn";
  }, function (err) {
    document.documentElement.dataset.diagrams = "failed";
    if (window.console) console.error("mermaid:", err);
  });
})();
