// Search for the course site: filters the search index as the reader types.
// The index (search.json, from the form's data-index) is a list of
// {t: title, u: url, s: summary, m: module title, k: [tags], h: [headings]}.
// Without JavaScript the page shows a note and the course outline instead.
(function () {
  "use strict";

  var MAX_SHOWN = 100; // rendering thousands of items makes typing lag on phones

  var form = document.querySelector("form.search-form[data-index]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var outline = document.getElementById("search-outline");
  var nojs = document.getElementById("search-nojs");
  var text = form.dataset;
  var entries = null; // the index, each entry with normalised fields added
  var timer = 0;

  if (nojs) nojs.hidden = true;

  // fold lower-cases and strips diacritics, so "Café" matches "cafe".
  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function words(q) {
    return fold(q).split(/\s+/).filter(Boolean);
  }

  function prepare(list) {
    return list.map(function (e, i) {
      var title = fold(e.t);
      return {
        e: e,
        i: i,
        title: title,
        all: [title, fold(e.s), fold(e.m), fold((e.k || []).join(" ")), fold((e.h || []).join(" "))].join("\n")
      };
    });
  }

  // search returns the matching entries, those with every word in the title first,
  // then by how many words the title holds, then in course order.
  function search(ws) {
    var hits = [];
    entries.forEach(function (x) {
      var inTitle = 0;
      for (var j = 0; j < ws.length; j++) {
        if (x.all.indexOf(ws[j]) < 0) return;
        if (x.title.indexOf(ws[j]) >= 0) inTitle++;
      }
      hits.push({ x: x, score: (inTitle === ws.length ? 1000 : 0) + inTitle });
    });
    hits.sort(function (a, b) { return b.score - a.score || a.x.i - b.x.i; });
    return hits.map(function (h) { return h.x.e; });
  }

  function say(msg) {
    status.textContent = msg;
  }

  function item(e) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = e.u;
    a.textContent = e.t;
    var h = document.createElement("h2");
    h.appendChild(a);
    li.appendChild(h);
    if (e.m) {
      var m = document.createElement("p");
      m.className = "search-module";
      m.textContent = e.m;
      li.appendChild(m);
    }
    if (e.s) {
      var s = document.createElement("p");
      s.textContent = e.s;
      li.appendChild(s);
    }
    return li;
  }

  function render() {
    var q = input.value.trim();
    var url = new URL(window.location.href);
    if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
    list.textContent = "";
    if (!q) {
      say("");
      if (outline) outline.hidden = false;
      return;
    }
    if (outline) outline.hidden = true;
    var hits = search(words(q));
    var frag = document.createDocumentFragment();
    hits.slice(0, MAX_SHOWN).forEach(function (e) { frag.appendChild(item(e)); });
    list.appendChild(frag);
    var msg = hits.length === 0 ? text.textNone.replace("{q}", q)
      : hits.length === 1 ? text.textOne
      : text.textMany.replace("{n}", hits.length);
    if (hits.length > MAX_SHOWN) msg += " " + text.textMore.replace("{n}", MAX_SHOWN);
    say(msg);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (entries) render();
  });
  input.addEventListener("input", function () {
    if (!entries) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(render, 120);
  });

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) input.value = initial;
  say(text.textLoading);
  fetch(form.dataset.index, { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) throw new Error("search index: HTTP " + r.status);
      return r.json();
    })
    .then(function (data) {
      entries = prepare(Array.isArray(data) ? data : []);
      say("");
      render();
    })
    .catch(function () {
      say(text.textError);
      if (nojs) nojs.hidden = true;
      if (outline) outline.hidden = false;
    });
})();
