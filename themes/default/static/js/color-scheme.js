// The reader's chosen colour scheme, set on <html> before the page is drawn.
// Loaded in <head> without defer, so keep it this small; js/theme.js has the toggle.
try {
  var s = localStorage.getItem("cohort-color-scheme");
  if (s === "dark" || s === "light") document.documentElement.setAttribute("data-theme", s);
} catch (e) {}
