package discovery

import (
	"encoding/json"
	"net/http"

	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/site"
)

const nodeinfoSchema = "http://nodeinfo.diaspora.software/ns/schema/2.1"

// nodeinfoLinks answers /.well-known/nodeinfo with the link to NodeInfo 2.1.
func (h *Handler) nodeinfoLinks(w http.ResponseWriter, r *http.Request) error {
	body, err := json.Marshal(map[string]any{"links": []jrdLink{{Rel: nodeinfoSchema, Href: h.o.URLs.Base + "/nodeinfo/2.1"}}})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, err = w.Write(body)
	return err
}

// nodeinfo answers /nodeinfo/2.1: cohort, one account, its lesson posts as
// local posts, no registrations.
func (h *Handler) nodeinfo(w http.ResponseWriter, r *http.Request) error {
	objs, err := h.o.Store.LessonObjects(r.Context())
	if err != nil {
		return err
	}
	posts := 0
	for _, o := range objs {
		if o.ContentHash != publish.DeletedHash {
			posts++
		}
	}
	doc := map[string]any{
		"version":           "2.1",
		"software":          map[string]any{"name": "cohort", "version": site.Version, "repository": "https://github.com/cohort-course/cohort"},
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
		"openRegistrations": false,
		"usage":             map[string]any{"users": map[string]int{"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": posts},
		"metadata":          map[string]any{"nodeName": h.o.Course.Title, "nodeDescription": h.o.Course.Description},
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", `application/json; profile="`+nodeinfoSchema+`#"`)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, err = w.Write(body)
	return err
}
