package discovery

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
)

type jrdLink struct {
	Rel  string `json:"rel"`
	Type string `json:"type,omitempty"`
	Href string `json:"href"`
}

type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases"`
	Links   []jrdLink `json:"links"`
}

// webfinger answers /.well-known/webfinger?resource=acct:handle@domain (the
// actor URL and the profile URL are accepted as resources too) with the
// course account's JRD: a self link of type application/activity+json, as
// Mastodon requires, and the site as profile page.
func (h *Handler) webfinger(w http.ResponseWriter, r *http.Request) error {
	res := r.URL.Query().Get("resource")
	if res == "" {
		return activitypub.Fail(http.StatusBadRequest, "resource is required", nil)
	}
	fed := h.o.Course.Federation
	acct := "acct:" + fed.Handle + "@" + fed.Domain
	switch {
	case strings.EqualFold(res, acct), strings.EqualFold(res, strings.TrimPrefix(acct, "acct:")),
		res == h.o.URLs.Actor(), res == h.o.URLs.Base+"/@"+fed.Handle:
	default:
		return notFound(nil)
	}
	body, err := json.Marshal(jrd{
		Subject: acct,
		Aliases: []string{h.o.URLs.Actor()},
		Links: []jrdLink{
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: h.o.Course.BaseURL},
			{Rel: "self", Type: "application/activity+json", Href: h.o.URLs.Actor()},
		},
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jrd+json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, err = w.Write(body)
	return err
}
