package as

import "time"

// Message is a direct message of the course account: a Note addressed to
// its recipients alone, each of them mentioned.
type Message struct {
	ID           string   // the object URI, also where it is fetched
	AttributedTo string   // the course actor
	To           []string // the recipients' actor IRIs; nothing else is addressed
	InReplyTo    string   // the post it answers; empty for none
	Content      string   // HTML, written exactly as given
	Language     string   // BCP 47 tag for contentMap; empty omits contentMap
	Published    time.Time
	Mentions     []Tag // one Mention per recipient
}

// doc builds the Note: to holds the recipients, cc is empty, and neither
// names the public collection or any followers collection. That is what
// makes a Note direct for Mastodon (app/lib/activitypub/activity/create.rb,
// visibility_from_audience: no public or followers address and a mention
// of each addressee gives :direct) and for GoToSocial
// (internal/ap/extract.go, ExtractVisibility, defaults to direct the same
// way).
func (m Message) doc() noteDoc {
	d := noteDoc{
		ID:           m.ID,
		Type:         "Note",
		Published:    timestamp(m.Published),
		URL:          m.ID,
		AttributedTo: m.AttributedTo,
		To:           append([]string{}, m.To...),
		CC:           []string{},
		Content:      m.Content,
		Attachment:   []any{},
		Tag:          append([]Tag{}, m.Mentions...),
	}
	if m.InReplyTo != "" {
		r := m.InReplyTo
		d.InReplyTo = &r
	}
	if m.Language != "" {
		d.ContentMap = map[string]string{m.Language: m.Content}
	}
	return d
}

// MessageNote returns the direct message's Note document, as served at its
// id.
func MessageNote(m Message) ([]byte, error) {
	d := m.doc()
	d.Context = noteContext
	return marshal(d)
}

// CreateMessage returns the Create that delivers a direct message; id is
// the activity's own id, stable across retries. It is addressed as its
// Note is.
func CreateMessage(id string, m Message) ([]byte, error) {
	d := m.doc()
	return marshal(activityDoc{Context: noteContext, ID: id, Type: "Create", Actor: m.AttributedTo,
		Published: d.Published, To: d.To, CC: []string{}, Object: d})
}
