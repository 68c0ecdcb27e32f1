// Search for the course site: the box in every page's header and the search page.
// The index (site/search_index.go) is split: index.json says which chunk holds
// which words; a chunk maps each word to its stem and each stem to its ranked
// pages; page N's title, URL and excerpt are entry N mod b of the list in
// d/⌊N/b⌋.json, b pages to a file (or inline in index.json for a small course). A query is cut and folded as the build cuts and folds
// text; it is never stemmed here, as every word in the course comes with its
// stem. Only the chunks of the query's words and the pages shown are fetched.
(function () {
  "use strict";

  var PREFIX_MIN = 2;     // the word being typed matches as a prefix from 2 letters
  var PREFIX_CHUNKS = 2;  // and looks in at most 2 chunks, so "a" costs no more than "ab"
  var PREFIX_WEIGHT = 0.8; // a completed word counts a little less than the word typed
  var STEM_MIN = 3, REST_MAX = 5; // a word the course lacks: see searchStemMin in site/search_index.go
  var EXCERPT_WORDS = 28; // about two lines
  var WORD_MAX = 40;      // as site/search_text.go: longer runs are not indexed
  var DIGITS = "0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%()";
  var WORD_RE = /[\p{L}\p{N}\p{Mn}\p{Mc}]+/gu;

  var forms = document.querySelectorAll("form[data-index]");
  if (!forms.length || !window.fetch) return;
  var base = new URL(forms[0].dataset.index, window.location.href);
  var meta = null;   // promise of index.json
  var chunks = {};   // chunk number → promise of the chunk
  var loaded = {};   // chunk number → the chunk, once it came
  var bundles = {};  // bundle number → promise of its pages
  var has = Object.prototype.hasOwnProperty;

  function get(rel) {
    return fetch(new URL(rel, base), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("search index: HTTP " + r.status);
      return r.json();
    });
  }

  function loadMeta() {
    if (!meta) {
      meta = get(base.href);
      meta.catch(function () { meta = null; });
    }
    return meta;
  }

  function fold(s) {
    return s.normalize("NFD").replace(/\p{Mn}/gu, "").toLowerCase();
  }

  function words(s) {
    return (s.match(WORD_RE) || []).map(fold).filter(function (w) { return w && w.length <= WORD_MAX; });
  }

  // chunkOf returns the number of the chunk that holds word w.
  function chunkOf(m, w) {
    if (m.index) return 0;
    var lo = 0, hi = m.chunks.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (m.chunks[mid][0] <= w) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  function chunk(m, i) {
    if (m.index) return Promise.resolve(loaded[0] = m.index);
    if (!chunks[i]) {
      chunks[i] = get(m.chunks[i][1]).then(function (c) { return (loaded[i] = c); });
      chunks[i].catch(function () { delete chunks[i]; });
    }
    return chunks[i];
  }

  function page(m, n) {
    if (m.docs) return Promise.resolve(m.docs[n]);
    var b = Math.floor(n / m.b);
    if (!bundles[b]) {
      bundles[b] = get("d/" + b + ".json");
      bundles[b].catch(function () { delete bundles[b]; });
    }
    return bundles[b].then(function (list) { return list[n - b * m.b]; });
  }

  // stemOf returns the stem of a folded word, if a chunk that came holds it.
  function stemOf(m, w) {
    var c = loaded[chunkOf(m, w)];
    if (!c || !has.call(c.w, w)) return null;
    return c.w[w] || w;
  }

  // postings calls fn(page, score) for each page of a stem's list.
  function postings(s, fn) {
    var n = 0, doc = -1, first = true;
    for (var i = 0; i < s.length; i++) {
      var d = DIGITS.indexOf(s.charAt(i));
      n = n * 32 + (d & 31);
      if (d >= 32) continue;
      if (first) doc += n; else fn(doc, n);
      first = !first;
      n = 0;
    }
  }

  // match finds the pages that have every word of q, best first. The last word,
  // unless followed by a space, also matches the words it begins.
  function match(q) {
    var ws = words(q);
    if (!ws.length) return Promise.resolve(null);
    var open = !/\s$/.test(q);
    return loadMeta().then(function (m) {
      var want = ws.map(function (w, k) {
        var first = chunkOf(m, w), last = first;
        var prefix = open && k === ws.length - 1 && w.length >= PREFIX_MIN;
        if (prefix) last = Math.min(chunkOf(m, w + "\uffff"), first + PREFIX_CHUNKS - 1);
        var nums = [];
        for (var i = first; i <= last; i++) nums.push(i);
        return { w: w, prefix: prefix, nums: nums };
      });
      var all = [];
      want.forEach(function (x) { x.nums.forEach(function (i) { all.push(chunk(m, i)); }); });
      return Promise.all(all).then(function () { return rank(m, want); });
    });
  }

  function rank(m, want) {
    var total = null, stems = {};
    want.forEach(function (x) {
      var best = {}; // page → this word's best score
      function add(c, s, weight) {
        stems[s] = 1;
        postings(c.p[s], function (doc, score) {
          var v = score * weight;
          if (!(best[doc] >= v)) best[doc] = v;
        });
      }
      var home = loaded[x.nums[0]];
      if (has.call(home.w, x.w)) {
        add(home, home.w[x.w] || x.w, 1);
      } else {
        var guess = "";
        Object.keys(home.p).forEach(function (s) {
          if (s.length >= STEM_MIN && s.length > guess.length && x.w.lastIndexOf(s, 0) === 0 &&
            x.w.length - s.length <= REST_MAX) guess = s;
        });
        if (guess) add(home, guess, 1);
      }
      if (x.prefix) {
        x.nums.forEach(function (i) {
          var c = loaded[i];
          Object.keys(c.w).forEach(function (w) {
            if (w !== x.w && w.lastIndexOf(x.w, 0) === 0) add(c, c.w[w] || w, PREFIX_WEIGHT);
          });
        });
      }
      if (total === null) {
        total = best;
        return;
      }
      var both = {};
      Object.keys(total).forEach(function (d) { if (has.call(best, d)) both[d] = total[d] + best[d]; });
      total = both;
    });
    var hits = Object.keys(total).map(Number);
    hits.sort(function (a, b) { return total[b] - total[a] || a - b; });
    return { m: m, hits: hits, stems: stems };
  }

  // marked appends text to el with the words whose stem is in stems in <mark>,
  // cut to about EXCERPT_WORDS words around the most matches when cut is set.
  function marked(el, m, text, stems, cut) {
    var toks = [], hit = [], t;
    WORD_RE.lastIndex = 0;
    while ((t = WORD_RE.exec(text))) {
      var s = stemOf(m, fold(t[0]));
      toks.push([t.index, t.index + t[0].length]);
      hit.push(s !== null && has.call(stems, s) ? s : null);
    }
    var from = 0, to = toks.length;
    if (cut) {
      var bestN = -1;
      for (var i = 0; i < toks.length; i++) {
        if (!hit[i]) continue;
        var start = Math.max(0, i - 4), seen = {}, n = 0;
        for (var j = start; j < Math.min(toks.length, start + EXCERPT_WORDS); j++) {
          if (hit[j] && !seen[hit[j]]) { seen[hit[j]] = 1; n++; }
        }
        if (n > bestN) { bestN = n; from = start; }
      }
      if (bestN < 0) return false;
      to = Math.min(toks.length, from + EXCERPT_WORDS);
    }
    var at = from ? toks[from][0] : 0;
    if (from) el.appendChild(document.createTextNode("… "));
    for (var k = from; k < to; k++) {
      if (!hit[k]) continue;
      el.appendChild(document.createTextNode(text.slice(at, toks[k][0])));
      var mk = document.createElement("mark");
      mk.textContent = text.slice(toks[k][0], toks[k][1]);
      el.appendChild(mk);
      at = toks[k][1];
    }
    var end = to < toks.length ? toks[to - 1][1] : text.length;
    el.appendChild(document.createTextNode(text.slice(at, end) + (to < toks.length ? " …" : "")));
    return true;
  }

  function attach(form) {
    var input = form.querySelector("input[name=q]");
    var list = document.getElementById(form.dataset.results);
    var status = document.getElementById(form.dataset.status);
    var panel = form.dataset.panel ? document.getElementById(form.dataset.panel) : null;
    var text = form.dataset;
    var limit = Number(text.limit) || 10;
    var more = text.more ? document.getElementById(text.more) : null;
    var outline = text.outline ? document.getElementById(text.outline) : null;
    var seq = 0, timer = 0, active = -1, shown = 0, result = null;

    function open(on) {
      if (!panel) return;
      panel.hidden = !on;
      input.setAttribute("aria-expanded", on ? "true" : "false");
    }

    function options() { return list.querySelectorAll("[role=option]"); }
    list.addEventListener("click", function (ev) {
      var opt = ev.target.closest && ev.target.closest("[role=option]");
      if (opt) window.location.href = opt.dataset.href;
    });

    function select(i) {
      var opts = options();
      if (!opts.length) i = -1;
      else i = Math.max(-1, Math.min(i, opts.length - 1));
      if (active >= 0 && opts[active]) opts[active].setAttribute("aria-selected", "false");
      active = i;
      if (i < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      opts[i].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", opts[i].id);
      opts[i].scrollIntoView({ block: "nearest" });
    }

    function item(n, p, r) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.id = list.id + "-" + n;
      // An option holds no link (a control inside a control is announced
      // twice and is not reachable by keyboard): choosing it goes to p.u.
      li.dataset.href = p.u;
      var a = document.createElement("span");
      a.className = "search-title";
      marked(a, r.m, p.t, r.stems, false);
      li.appendChild(a);
      if (p.m) {
        var mod = document.createElement("span");
        mod.className = "search-module";
        mod.textContent = p.m;
        li.appendChild(mod);
      }
      var ex = document.createElement("p");
      ex.className = "search-excerpt";
      if (!marked(ex, r.m, p.x || "", r.stems, true) && p.s && !marked(ex, r.m, p.s, r.stems, true)) ex.textContent = p.s;
      if (ex.firstChild) li.appendChild(ex);
      return li;
    }

    // show adds the next results (up to limit) to the list.
    function show(mine) {
      var r = result, next = r.hits.slice(shown, shown + limit);
      return Promise.all(next.map(function (n) { return page(r.m, n); })).then(function (ps) {
        if (mine !== seq) return;
        var frag = document.createDocumentFragment();
        ps.forEach(function (p, i) { frag.appendChild(item(shown + i, p, r)); });
        list.appendChild(frag);
        shown += ps.length;
        list.setAttribute("data-query", input.value); // what the list shows results for
        if (more) more.hidden = shown >= r.hits.length;
        if (window.performance && performance.mark) performance.mark("search-results");
      });
    }

    function say(msg) { if (status) status.textContent = msg; }

    function run() {
      var q = input.value, mine = ++seq;
      if (!panel) {
        var url = new URL(window.location.href);
        if (q.trim()) url.searchParams.set("q", q.trim()); else url.searchParams.delete("q");
        window.history.replaceState(null, "", url);
      }
      if (outline) outline.hidden = !!q.trim();
      if (!q.trim()) {
        list.textContent = "";
        say("");
        open(false);
        if (more) more.hidden = true;
        return;
      }
      match(q).then(function (r) {
        if (mine !== seq || !r) return;
        result = r;
        shown = 0;
        active = -1;
        input.removeAttribute("aria-activedescendant");
        var n = r.hits.length;
        say(n === 0 ? text.textNone.replace("{q}", q.trim()) : n === 1 ? text.textOne : text.textMany.replace("{n}", n));
        list.textContent = "";
        open(true);
        return show(mine);
      }).catch(function () {
        if (mine !== seq) return;
        say(text.textError);
        open(true);
      });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 80);
    });
    input.addEventListener("focus", function () {
      loadMeta().catch(function () {});
      if (input.value.trim() && list.firstChild) open(true);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (panel && panel.hidden && input.value.trim()) open(true);
        select(active + (ev.key === "ArrowDown" ? 1 : -1));
      } else if (ev.key === "Enter") {
        var opt = options()[active];
        if (opt) {
          ev.preventDefault();
          window.location.href = opt.dataset.href;
        }
      } else if (ev.key === "Escape") {
        if (panel && !panel.hidden) {
          ev.preventDefault(); // a search field would also clear itself
          open(false);
          select(-1);
        } else {
          input.value = "";
          run();
        }
      }
    });
    form.addEventListener("submit", function (ev) {
      // Enter on a selected result opens it (keydown did); the search page
      // searches in place. Only the header's box, with nothing selected, goes
      // to the search page.
      if (active >= 0 || !panel) ev.preventDefault();
      if (!panel && active < 0) {
        window.clearTimeout(timer);
        run();
      }
    });
    if (panel) {
      form.addEventListener("focusout", function (ev) {
        if (!form.contains(ev.relatedTarget)) open(false);
      });
    }
    if (more) {
      more.addEventListener("click", function () { if (result) show(seq); });
    }
    var nojs = text.nojs ? document.getElementById(text.nojs) : null;
    if (nojs) nojs.hidden = true;
    if (!panel) {
      var initial = new URLSearchParams(window.location.search).get("q");
      if (initial) {
        input.value = initial;
        run();
      }
    }
  }

  Array.prototype.forEach.call(forms, attach);
})();
