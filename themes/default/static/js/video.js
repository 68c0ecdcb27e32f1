// Video facades: a figure.video[data-embed] holds a link to the video's page and
// nothing from the video host. On a click on its play link the link is replaced by
// the player's iframe, so nothing loads from the host before the reader asks for it.
// Without JavaScript, or on a middle or modified click, the link opens the video's page.
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    var link = ev.target.closest && ev.target.closest("figure.video[data-embed] a.video-link");
    if (!link) return;
    var figure = link.closest("figure.video");
    var src;
    try {
      src = new URL(figure.dataset.embed, window.location.href);
    } catch (e) {
      return;
    }
    if (src.protocol !== "https:" && src.protocol !== "http:") return;
    ev.preventDefault();
    if (!src.searchParams.has("autoplay")) src.searchParams.set("autoplay", "1"); // one click, not two

    var frame = document.createElement("iframe");
    frame.src = src.href;
    frame.title = figure.dataset.title || link.textContent.trim();
    frame.setAttribute("allow", "autoplay; fullscreen; picture-in-picture; encrypted-media");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("loading", "lazy");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.className = "video-frame";
    link.replaceWith(frame);
    frame.focus();
  });
})();
