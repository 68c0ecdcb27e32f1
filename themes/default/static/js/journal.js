// Live reflection journal: asks the companion's journal API (.thread.journal[data-api]) for
// the page's entries now, and adds, edits and removes entries in place, so an entry deleted or
// a participant who left is gone at once; unreachable, the built page stays. Entry HTML is
// sanitized again. Entries are shown oldest first.
(() => {
"use strict";

var POLL = 60000; // ms between polls while the tab is visible, doubled after each error
var MAX_BACKOFF = 600000;
var TIMEOUT = 10000;
var KEEP = /^(P|BR|A|SPAN|STRONG|EM|CODE|PRE|UL|OL|LI|BLOCKQUOTE|DEL|S)$/;
var DROP = /^(SCRIPT|STYLE|IFRAME|OBJECT|EMBED|TEMPLATE|NOSCRIPT|TITLE|TEXTAREA|SELECT|HEAD)$/;
var config = window.cohortJournal || {}; // tests set { poll: ms }

function $(root, sel) { return root.querySelector(sel); }
function remove(el) { if (el) el.remove(); }
function safeURL(s) {
  if (!s) return "";
  try {
    var u = new URL(s, location.href);
    if (/^https?:$/.test(u.protocol)) return u.href;
  } catch (e) {}
  return "";
}
function copy(from, to, depth) {
  if (depth > 32) return;
  for (var n = from.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3) to.appendChild(document.createTextNode(n.data));
    if (n.nodeType !== 1) continue;
    var tag = n.namespaceURI === document.body.namespaceURI ? n.tagName.toUpperCase() : "";
    if (!tag || DROP.test(tag)) continue;
    if (!KEEP.test(tag)) { copy(n, to, depth + 1); continue; }
    var el = document.createElement(tag.toLowerCase());
    if (tag === "A") {
      var href = safeURL(n.getAttribute("href"));
      if (href) el.setAttribute("href", href);
      el.setAttribute("rel", "nofollow noopener ugc");
    }
    copy(n, el, depth + 1);
    to.appendChild(el);
  }
}
function clean(html) {
  var doc = new DOMParser().parseFromString("<!DOCTYPE html><body>" + (html || ""), "text/html");
  var out = document.createDocumentFragment();
  copy(doc.body, out, 0);
  return out;
}

var box = document.querySelector(".thread.journal[data-api]");
var tpl = document.getElementById("reply-template");
if (!box || !tpl || !window.fetch) return;
var api = safeURL(box.dataset.api);
if (!api) return;
var list = $(box, "ol.replies");
var when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });
// plural: the UI string for n of key (data-KEY-one, data-KEY-many on the box), as the
// build's plural writes it.
function plural(n, key) {
  return (n === 1 ? box.dataset[key + "One"] : (box.dataset[key + "Many"] || "%d").replace("%d", n)) || String(n);
}
function setTime(el, s) {
  var d = new Date(s);
  el.setAttribute("datetime", s);
  el.textContent = isNaN(d) ? s : when.format(d) + " UTC";
}

function build(r) {
  var li = tpl.content.firstElementChild.cloneNode(true);
  li.dataset.id = r.id;
  li.dataset.v = (r.edited || "") + "/0/0";
  var a = r.author || {};
  remove($(li, ".badge-moderator"));
  remove($(li, ".badge-submission"));
  remove($(li, ".badge-review"));
  var avatar = safeURL(a.avatar);
  if (avatar) $(li, ".reply-avatar").src = avatar;
  else remove($(li, ".reply-avatar"));
  var author = $(li, ".reply-author");
  if (safeURL(a.url)) author.href = safeURL(a.url);
  $(author, ".reply-name").textContent = a.name || a.handle || "";
  if (a.handle) $(author, ".reply-handle").textContent = a.handle;
  else remove($(author, ".reply-handle"));
  var time = $(li, ".reply-time");
  if (safeURL(r.url)) time.href = safeURL(r.url);
  setTime($(time, "time"), r.published);
  if (r.edited) setTime($(li, ".reply-edited time"), r.edited);
  else remove($(li, ".reply-edited"));
  var content = $(li, ".reply-content");
  content.appendChild(clean(r.content));
  remove($(li, ".reply-attachments")); // the entry's page on its server has them
  var cw = $(li, ".reply-cw");
  if (r.summary || r.sensitive) {
    var text = $(cw, ".reply-cw-text");
    text.textContent = r.summary || text.dataset.sensitive;
    cw.appendChild(content);
  } else {
    remove(cw);
  }
  remove($(li, ".reply-reactions"));
  remove($(li, ".reply-to"));
  return li;
}

// apply: the page's entries as the companion has them now, oldest first.
function apply(j) {
  var shown = {};
  list.querySelectorAll(":scope > li.reply[data-id]").forEach(li => { shown[li.dataset.id] = li; });
  var keep = {};
  var prev = null;
  (j.entries || []).forEach(r => {
    keep[r.id] = true;
    var li = shown[r.id];
    var v = (r.edited || "") + "/0/0";
    if (!li || li.dataset.v !== v) {
      var fresh = build(r);
      if (li) li.replaceWith(fresh);
      else fresh.classList.add("reply-new");
      li = fresh;
    }
    if (prev) prev.after(li);
    else list.prepend(li);
    prev = li;
  });
  Object.keys(shown).forEach(id => { if (!keep[id]) remove(shown[id]); });
  var count = $(box, ".thread-count");
  if (count) count.textContent = plural(list.querySelectorAll(":scope > li.reply").length, "entries");
  var empty = $(box, ".thread-empty");
  if (empty) empty.hidden = !!$(list, "li.reply");
  if (window.cohortLocalTimes) window.cohortLocalTimes(); // js/theme.js
}

var etag = "";
var delay = config.poll || POLL;
var timer = 0;
function poll() {
  clearTimeout(timer);
  timer = 0;
  if (document.hidden) return;
  var ctl = new AbortController();
  var abort = setTimeout(() => { ctl.abort(); }, TIMEOUT);
  var headers = { Accept: "application/json" };
  if (etag) headers["If-None-Match"] = etag;
  fetch(api, { headers: headers, credentials: "omit", signal: ctl.signal }).then(resp => {
    if (resp.status === 304) return null;
    if (!resp.ok) throw new Error("journal API: " + resp.status);
    etag = resp.headers.get("ETag") || "";
    return resp.json();
  }).then(j => {
    if (j && Array.isArray(j.entries)) apply(j);
    delay = config.poll || POLL;
  }).catch(() => {
    delay = Math.min(delay * 2, MAX_BACKOFF);
  }).then(() => {
    clearTimeout(abort);
    if (!timer && !document.hidden) timer = setTimeout(poll, delay);
  });
}
document.addEventListener("visibilitychange", () => { if (!document.hidden && !timer) poll(); });
poll();
})();
