// The theme's enhancements, all optional: without JavaScript the menu is a
// <details>, times read in UTC, and the colours follow the system setting.
// - the menu button: a real button with aria-expanded in place of <details>;
// - the light/dark toggle: remembers the choice (js/color-scheme.js applies it);
// - times of replies in the reader's time zone;
// - the schedule's current week by the reader's clock;
// - in a lesson's contents, the section being read.
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "cohort-color-scheme";

  // Menu
  var details = document.querySelector(".menu-toggle");
  var button = document.querySelector(".menu-button");
  if (details && button) {
    details.hidden = true;
    button.hidden = false;
    var set = open => { button.setAttribute("aria-expanded", String(open)); };
    set(details.open);
    button.addEventListener("click", () => { set(button.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", ev => {
      if (ev.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  // Colour scheme
  var toggle = document.querySelector(".theme-toggle");
  var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var dark = () => {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : !!(system && system.matches);
  };
  if (toggle) {
    var show = () => { toggle.setAttribute("aria-pressed", String(dark())); };
    show();
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      var next = dark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) {}
      show();
    });
    if (system && system.addEventListener) system.addEventListener("change", show);
  }

  // Contents: mark the section whose heading last passed the top third of the screen.
  var toc = document.querySelector(".toc");
  if (toc) {
    var heads = [...toc.querySelectorAll('a[href^="#"]')].map(a => [a, document.getElementById(decodeURIComponent(a.hash.slice(1)))]).filter(p => p[1]);
    var queued = false;
    var mark = () => {
      queued = false;
      var cur = null;
      heads.forEach(p => { if (p[1].getBoundingClientRect().top < window.innerHeight / 3) cur = p[0]; });
      heads.forEach(p => { if (p[0] === cur) p[0].setAttribute("aria-current", "location"); else p[0].removeAttribute("aria-current"); });
    };
    window.addEventListener("scroll", () => { if (!queued) { queued = true; requestAnimationFrame(mark); } }, { passive: true });
    mark();
  }

  // Times in the reader's zone. The page has them in UTC; the original stays as a tooltip.
  var lang = root.lang || undefined;
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    return;
  }
  var local = el => {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d) || el.dataset.local) return;
    if (!el.title) el.title = el.textContent;
    el.textContent = fmt.format(d);
    el.dataset.local = "1";
  };
  var times = () => { document.querySelectorAll(".reply-when time[datetime], .thread-snapshot time[datetime]").forEach(local); };
  times();
  window.cohortLocalTimes = times; // js/discussion.js calls it for replies it adds

  // The schedule's current week: the last one opened, until a week after the last.
  var WEEK = 7 * 24 * 3600 * 1000;
  document.querySelectorAll(".schedule-table").forEach(table => {
    var now = Date.now(), weeks = [...table.querySelectorAll("tbody.schedule-week")];
    var cur = null, later = false;
    weeks.forEach(w => {
      var at = Date.parse(w.dataset.opens);
      if (isNaN(at)) return;
      if (at > now) later = true;
      else if (!cur || at > Date.parse(cur.dataset.opens)) cur = w;
    });
    if (cur && !later && now - Date.parse(cur.dataset.opens) >= WEEK) cur = null;
    weeks.forEach(w => {
      var is = w === cur, badge = w.querySelector(".badge-current");
      w.classList.toggle("schedule-current", is);
      if (is && !badge) {
        badge = document.createElement("span");
        badge.className = "badge badge-current";
        badge.textContent = table.dataset.current;
        var th = w.querySelector("th");
        th.append(" ", badge);
      } else if (!is && badge) {
        badge.remove();
      }
    });
  });
})();
