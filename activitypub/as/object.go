package as

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cohort-course/cohort/activitypub"
)

// ParseNote reads a post fetched on its own (a Note, Question, Article or
// Page, not wrapped in an activity), as the inbox does when an object must
// come from its origin and the crawler does when it finds a reply. It reads
// the post exactly as Parse reads the object of a Create. The Reply's Actor
// is the post's attributedTo, which must be there.
func ParseNote(ctx context.Context, data []byte) (*activitypub.Reply, error) {
	m, err := decode(data, ActivityLimits)
	if err != nil {
		return nil, err
	}
	if t := typeOf(m); !slices.Contains(replyTypes, t) {
		return nil, fmt.Errorf("%w: type %q is not a post", ErrInvalid, t)
	}
	id, _ := m["id"].(string)
	author := firstID(m["attributedTo"])
	if id == "" || author == "" {
		return nil, fmt.Errorf("%w: a post needs an id and attributedTo", ErrInvalid)
	}
	ctxVal, ok := m["@context"]
	if !ok {
		// A post embedded in a collection page inherits the page's context.
		ctxVal = ActivityStreamsContext
	}
	// Parse reads posts as the objects of activities: wrap this one in a
	// Create by its author.
	wrapper := map[string]any{"@context": ctxVal, "type": "Create", "id": id + "#fetched", "actor": author, "object": m}
	a, err := parseMap(ctx, wrapper, 0)
	if err != nil {
		return nil, err
	}
	if a.Reply == nil {
		return nil, fmt.Errorf("%w: %s cannot be read as a post", ErrInvalid, id)
	}
	return a.Reply, nil
}

// firstID returns the id of a JSON value that names an object: a string, an
// object's id, or the first of an array of either.
func firstID(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		id, _ := x["id"].(string)
		return id
	case []any:
		if len(x) > 0 {
			return firstID(x[0])
		}
	}
	return ""
}

// CollectionItem is one item of a collection page: its id, and its JSON
// when the page embeds the object rather than naming it.
type CollectionItem struct {
	ID       string
	Embedded []byte // nil when the item is a bare IRI
}

// CollectionPage is what the crawler reads of a replies collection: the
// items of one page and where the next page is.
type CollectionPage struct {
	Items []CollectionItem
	Next  string // the next page's URL; empty on the last
}

// RepliesOf reads the replies collection of a post: the embedded first page
// (Mastodon embeds it) or, when first is a URL, that URL in Next with no
// items. A post without replies gives an empty page.
func RepliesOf(data []byte) (CollectionPage, error) {
	if err := ActivityLimits.Check(data); err != nil {
		return CollectionPage{}, fmt.Errorf("replies: %w", err)
	}
	var doc struct {
		Replies json.RawMessage `json:"replies"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return CollectionPage{}, fmt.Errorf("%w: replies: %w", ErrInvalid, err)
	}
	if len(doc.Replies) == 0 || string(doc.Replies) == "null" {
		return CollectionPage{}, nil
	}
	var iri string
	if json.Unmarshal(doc.Replies, &iri) == nil {
		return CollectionPage{Next: iri}, nil
	}
	return parseCollectionPage(doc.Replies, 0)
}

// maxFirstDepth bounds how many embedded "first" pages are followed: a
// collection embeds its first page (Mastodon's replies), and nothing real
// nests deeper. Each level parses the rest of the document again, so
// following every level of a hostile answer would cost quadratic time.
const maxFirstDepth = 2

// ParseCollectionPage reads a collection or a collection page. A collection
// gives the items of its embedded first page, or Next set to first when
// that is a URL. Both items and orderedItems are read; an item that is
// neither a non-empty IRI nor an object with an id is skipped. A page over
// ActivityLimits is refused before it is decoded.
func ParseCollectionPage(data []byte) (CollectionPage, error) {
	if err := ActivityLimits.Check(data); err != nil {
		return CollectionPage{}, fmt.Errorf("collection: %w", err)
	}
	return parseCollectionPage(data, 0)
}

func parseCollectionPage(data []byte, depth int) (CollectionPage, error) {
	var doc struct {
		Type         any               `json:"type"`
		First        json.RawMessage   `json:"first"`
		Next         json.RawMessage   `json:"next"`
		Items        []json.RawMessage `json:"items"`
		OrderedItems []json.RawMessage `json:"orderedItems"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return CollectionPage{}, fmt.Errorf("%w: collection: %w", ErrInvalid, err)
	}
	var p CollectionPage
	items := append(doc.Items, doc.OrderedItems...)
	if len(items) == 0 && len(doc.First) > 0 && string(doc.First) != "null" {
		var first string
		if json.Unmarshal(doc.First, &first) == nil {
			return CollectionPage{Next: first}, nil
		}
		if depth+1 >= maxFirstDepth {
			return CollectionPage{}, fmt.Errorf("%w: collection: first pages nested over %d deep", ErrInvalid, maxFirstDepth)
		}
		return parseCollectionPage(doc.First, depth+1)
	}
	for _, raw := range items {
		var iri string
		if json.Unmarshal(raw, &iri) == nil {
			if iri != "" {
				p.Items = append(p.Items, CollectionItem{ID: iri})
			}
			continue
		}
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			continue
		}
		if id, _ := obj["id"].(string); id != "" {
			p.Items = append(p.Items, CollectionItem{ID: id, Embedded: raw})
		}
	}
	if len(doc.Next) > 0 {
		var next any
		_ = json.Unmarshal(doc.Next, &next)
		p.Next = firstID(next)
	}
	return p, nil
}
