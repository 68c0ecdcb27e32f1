// Live discussion: asks the companion's threads API (.thread[data-api]) for what changed since
// the page was built (data-since), and adds, edits and removes replies in place; unreachable,
// the built page stays. Reply HTML is sanitized again.
(() => {
"use strict";

var POLL = 30000; // ms between polls while the tab is visible, doubled after each error
var MAX_BACKOFF = 300000; // up to five minutes
var TIMEOUT = 10000; // per request
var KEEP = /^(P|BR|A|SPAN|STRONG|EM|CODE|PRE|UL|OL|LI|BLOCKQUOTE|DEL|S)$/;
var DROP = /^(SCRIPT|STYLE|IFRAME|OBJECT|EMBED|TEMPLATE|NOSCRIPT|TITLE|TEXTAREA|SELECT|HEAD)$/;
var CLASSES = ["h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis"];
var config = window.cohortDiscussion || {}; // tests set { poll: ms }

function $(root, sel) { return root.querySelector(sel); }
function remove(el) { if (el) el.remove(); }

function safeURL(s, mail) {
  if (!s) return "";
  try {
    var u = new URL(s, location.href);
    if (/^https?:$/.test(u.protocol) || (mail && u.protocol === "mailto:")) return u.href;
  } catch (e) {}
  return "";
}

// clean: elements off the list are unwrapped, dangerous ones dropped whole.
function clean(html) {
  var doc = new DOMParser().parseFromString("<!DOCTYPE html><body>" + (html || ""), "text/html");
  var out = document.createDocumentFragment();
  copy(doc.body, out, 0);
  return out;
}

function copy(from, to, depth) {
  if (depth > 32) return;
  for (var n = from.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3) to.appendChild(document.createTextNode(n.data));
    if (n.nodeType !== 1) continue;
    var tag = n.namespaceURI === document.body.namespaceURI ? n.tagName.toUpperCase() : "";
    if (!tag || DROP.test(tag)) continue;
    if (!KEEP.test(tag)) {
      copy(n, to, depth + 1);
      continue;
    }
    var el = document.createElement(tag.toLowerCase());
    if (tag === "A") {
      var href = safeURL(n.getAttribute("href"), true);
      if (href) el.setAttribute("href", href);
      el.setAttribute("rel", "nofollow noopener ugc");
    }
    if (tag === "A" || tag === "SPAN") {
      var cls = (n.getAttribute("class") || "").split(/\s+/).filter(c => CLASSES.indexOf(c) >= 0);
      if (cls.length) el.className = cls.join(" ");
    }
    copy(n, el, depth + 1);
    to.appendChild(el);
  }
}

// The join box
var copyButton = document.querySelector(".copy-button[data-copy]");
if (copyButton && navigator.clipboard && window.isSecureContext) {
  var label = copyButton.textContent;
  copyButton.hidden = false;
  copyButton.addEventListener("click", () => {
    var source = document.getElementById(copyButton.dataset.copy);
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      copyButton.textContent = copyButton.dataset.copied;
      setTimeout(() => { copyButton.textContent = label; }, 2000);
    }, () => {});
  });
}

var form = document.querySelector("form.remote-reply[data-uri]");
if (form) {
  var input = $(form, "input");
  try { input.value = localStorage.getItem("cohort.instance") || ""; } catch (e) {}
  form.hidden = false;
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    var host = serverHost(input.value);
    if (!host) {
      $(form, ".remote-reply-error").textContent = form.dataset.invalid;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    try { localStorage.setItem("cohort.instance", host); } catch (e) {}
    location.assign("https://" + host + "/authorize_interaction?uri=" + encodeURIComponent(form.dataset.uri));
  });
}

// serverHost: "mastodon.social", "https://mastodon.social/", "@me@mastodon.social" → host, or "".
function serverHost(s) {
  s = s.trim().toLowerCase().replace(/^https?:\/\//, "");
  s = s.slice(s.lastIndexOf("@") + 1).split(/[/?#]/)[0];
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?$/.test(s) ? s : "";
}

var box = document.querySelector(".thread[data-api]");
var tpl = document.getElementById("reply-template");
if (!box || !tpl || !window.fetch) return;
var api = safeURL(box.dataset.api);
if (!api) return;
var moderators = (box.dataset.moderators || "").toLowerCase().split(/\s+/).map(m => m.replace(/^@/, ""));
var when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });

function plural(n, key) {
  return (n === 1 ? box.dataset[key + "One"] : (box.dataset[key + "Many"] || "%d").replace("%d", n)) || String(n);
}
function format(s) {
  var d = new Date(s);
  return isNaN(d) ? s : when.format(d) + " UTC";
}
function setTime(el, s) {
  el.setAttribute("datetime", s);
  el.textContent = format(s);
}
var MARKS = ["featured", "submission", "review"]; // API flags (site.MarkAssignment), as classes
function version(r) { return (r.edited || "") + "/" + (r.likes || 0) + "/" + (r.boosts || 0); }

function build(r) {
  var li = tpl.content.firstElementChild.cloneNode(true);
  li.dataset.id = r.id;
  li.dataset.v = version(r);
  var a = r.author || {};
  if (moderators.indexOf((a.handle || "").toLowerCase().replace(/^@/, "")) >= 0) li.classList.add("reply-moderator");
  else remove($(li, ".badge-moderator"));
  MARKS.forEach(k => { if (r[k]) li.classList.add("reply-" + k); else remove($(li, ".badge-" + k)); });
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
  var list = $(li, ".reply-attachments");
  (r.attachments || []).forEach(at => {
    var url = safeURL(at.url);
    if (!url) return;
    var item = document.getElementById("attachment-template").content.firstElementChild.cloneNode(true);
    var link = $(item, "a");
    link.href = url;
    link.textContent = at.alt || document.getElementById("attachment-no-alt").content.textContent;
    if (at.media_type) $(item, ".reply-media-type").textContent = "(" + at.media_type + ")";
    else remove($(item, ".reply-media-type"));
    list.appendChild(item);
  });
  if (!list.children.length) remove(list);
  var cw = $(li, ".reply-cw");
  if (r.summary || r.sensitive) {
    var text = $(cw, ".reply-cw-text");
    text.textContent = r.summary || text.dataset.sensitive;
    cw.appendChild(content);
    if (list.parentNode) cw.appendChild(list);
  } else {
    remove(cw);
  }
  var reactions = $(li, ".reply-reactions");
  if (r.likes || r.boosts) reactions.textContent = plural(r.likes || 0, "likes") + ", " + plural(r.boosts || 0, "boosts");
  else remove(reactions);
  return li;
}

// MAX_INDENT is how many levels the page indents answers (site.MaxReplyIndent).
var MAX_INDENT = 3;

// indentOf: how far a reply is indented, 0 for a top-level one.
function indentOf(li) {
  var n = -1;
  for (var el = li.parentElement; el && el !== box; el = el.parentElement) if (el.matches("ol.replies")) n++;
  return n;
}

// replyingTo shows text in a reply's "replying to" line, or removes the line.
function replyingTo(li, text) {
  var p = $(li, ".reply-to");
  if (!p) return;
  if (!text) return remove(p);
  p.textContent = text;
  p.hidden = false;
}

function ownList(li) {
  for (var c = li.lastElementChild; c; c = c.previousElementSibling) if (c.matches("ol.replies")) return c;
  return null;
}

function list(el, before) {
  var ol = document.createElement("ol");
  ol.className = "replies";
  return el.insertBefore(ol, before);
}

// apply: the changes since the last look. A new reply goes on top, or under
// the reply it answers when this page shows it; a removed one leaves its
// answers in its place.
function apply(t) {
  var status = $(box, ".thread-status");
  [["count", t.count, "replies"], ["likes", t.likes, "likes"], ["boosts", t.boosts, "boosts"]].forEach(c => {
    var el = $(box, ".thread-" + c[0]);
    if (el) el.textContent = plural(c[1] || 0, c[2]);
  });
  remove($(box, ".thread-snapshot")); // live now
  remove($(box, ".thread-offline"));
  var shown = {};
  box.querySelectorAll("li.reply[data-id]").forEach(li => { shown[li.dataset.id] = li; });
  var added = 0;
  (t.changes || []).forEach(r => {
    var li = shown[r.id];
    if (r.removed) {
      if (!li) return;
      var kids = ownList(li);
      while (kids && kids.firstElementChild) li.before(kids.firstElementChild);
      remove(li);
      delete shown[r.id];
      return;
    }
    var fresh = build(r);
    if (li) {
      if (li.dataset.v === fresh.dataset.v && MARKS.every(k => li.classList.contains("reply-" + k) === !!r[k])) return;
      var own = ownList(li), more = $(li, ":scope > .reply-more"), to = $(li, ":scope > .reply-body > .reply-to");
      if (own) fresh.appendChild(own);
      if (more) fresh.appendChild(more);
      replyingTo(fresh, to && !to.hidden ? to.textContent : "");
      li.replaceWith(fresh);
    } else {
      var top = $(box, ":scope > ol.replies"), parent = shown[r.in_reply_to];
      if (parent && indentOf(parent) >= MAX_INDENT) {
        // as deep as the page indents: beside its parent, saying whom it answers
        parent.parentElement.appendChild(fresh);
        var who = $(parent, ".reply-handle") || $(parent, ".reply-name");
        var to = $(fresh, ".reply-to");
        replyingTo(fresh, to.dataset.text.replace("%s", who ? who.textContent : ""));
      } else if (parent) {
        replyingTo(fresh, "");
        (ownList(parent) || list(parent, null)).appendChild(fresh);
      } else if (r.in_reply_to === t.object || !r.in_reply_to) {
        top = top || list(box, status);
        var first = top.firstElementChild; // newest first, after the featured
        while (first && first.classList.contains("reply-featured")) first = first.nextElementSibling;
        replyingTo(fresh, "");
        top.insertBefore(fresh, first);
      } else return; // answers a reply on another page
      fresh.classList.add("reply-new");
      added++;
    }
    shown[r.id] = fresh;
  });
  var empty = $(box, ".thread-empty");
  if (empty) empty.hidden = !!$(box, "li.reply");
  if (added && status) status.textContent = plural(added, "new");
  if (window.cohortLocalTimes) window.cohortLocalTimes(); // js/theme.js
}

var since = box.dataset.since || "";
var etag = "", asked = "";
var delay = config.poll || POLL;
var timer = 0;

function poll() {
  clearTimeout(timer);
  timer = 0;
  if (document.hidden) return; // visibilitychange starts it again
  var ctl = new AbortController();
  var abort = setTimeout(() => { ctl.abort(); }, TIMEOUT);
  var url = since ? api + (api.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(since) : api;
  var headers = { Accept: "application/json" };
  if (etag && asked === url) headers["If-None-Match"] = etag;
  var again = false;
  fetch(url, { headers: headers, credentials: "omit", signal: ctl.signal }).then(resp => {
    if (resp.status === 304) return null;
    if (!resp.ok) throw new Error("threads API: " + resp.status);
    etag = resp.headers.get("ETag") || "";
    asked = url;
    return resp.json();
  }).then(t => {
    // Without a cursor in the page, the first answer only gives one.
    if (t && since && Array.isArray(t.changes)) apply(t);
    if (t && t.since) since = t.since;
    again = t && t.more;
    delay = config.poll || POLL;
  }).catch(() => {
    delay = Math.min(delay * 2, MAX_BACKOFF); // the page keeps what it shows
  }).then(() => {
    clearTimeout(abort);
    if (!timer && !document.hidden) timer = setTimeout(poll, again ? 0 : delay);
  });
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !timer) poll();
});
poll();
})();
