package moderation

import (
	"net/http"
	"net/url"

	"github.com/cohort-course/cohort/activitypub"
)

// followsPage is how many follow requests one page lists: a moderator
// decides them from the top, and a server over its follow limits can leave
// hundreds waiting (inbox/followlimit.go).
const followsPage = 50

// threadPage is how many replies of a lesson's thread one page lists: a
// busy thread has hundreds, and one peer can send thousands.
const threadPage = 100

// pageLinks are a paged list's links to its newer and older items, each a
// query string ("?after=…" or "?before=…"), empty when there is nothing
// that way.
type pageLinks struct {
	Newer, Older string
}

// pageQuery reads ?after= and ?before= (cursors a pageLinks wrote) into a
// query for one item more than a page of size, which tells whether there
// is more beyond it.
func pageQuery(r *http.Request, size int) (activitypub.PageQuery, error) {
	q := activitypub.PageQuery{Limit: size + 1}
	var err error
	if q.After, err = activitypub.ParseCursor(r.URL.Query().Get("after")); err != nil {
		return q, fail(http.StatusBadRequest, "bad page link", err)
	}
	if q.Before, err = activitypub.ParseCursor(r.URL.Query().Get("before")); err != nil {
		return q, fail(http.StatusBadRequest, "bad page link", err)
	}
	return q, nil
}

// paged cuts items, fetched by q (one more than size), to one page and
// returns the links beside it. Forward is the list's own order; newestFirst
// says whether forward goes to older items (the replies) or newer ones (the
// follow requests, oldest first).
func paged[T any](items []T, q activitypub.PageQuery, size int, cursor func(T) activitypub.Cursor, newestFirst bool) ([]T, pageLinks) {
	back := !q.Before.IsZero()
	more := len(items) > size
	if more && back {
		items = items[len(items)-size:] // the extra one is furthest back, first
	} else if more {
		items = items[:size]
	}
	// Coming back from a later page, there is a later page; going forward
	// from an earlier one, there is an earlier one. The extra item tells
	// whether the list goes on the way we went.
	hasForward, hasBackward := more, !q.After.IsZero()
	if back {
		hasForward, hasBackward = true, more
	}
	var forward, backward string
	if len(items) > 0 && hasForward {
		forward = "?after=" + url.QueryEscape(cursor(items[len(items)-1]).String())
	}
	if len(items) > 0 && hasBackward {
		backward = "?before=" + url.QueryEscape(cursor(items[0]).String())
	}
	if newestFirst {
		return items, pageLinks{Newer: backward, Older: forward}
	}
	return items, pageLinks{Newer: forward, Older: backward}
}
