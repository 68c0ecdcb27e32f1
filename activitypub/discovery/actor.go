package discovery

import (
	"github.com/cohort-course/cohort/site"
	"html"
	"net/http"
	"path"
	"strings"

	"github.com/cohort-course/cohort/activitypub/as"
)

// CourseActor returns the course actor as Mastodon shows it: the course
// title as name, the description as bio, the logo as avatar, the site as
// url and profile fields for the site, organiser and licence.
func (h *Handler) CourseActor() as.CourseActor {
	c, u := h.o.Course, h.o.URLs
	a := as.CourseActor{
		ID: u.Actor(), Type: "Service", PreferredUsername: c.Federation.Handle, Name: c.Title, URL: c.BaseURL,
		Inbox: u.Inbox(), SharedInbox: u.Inbox(), Outbox: u.Outbox(), Followers: u.Followers(), Featured: u.Featured(),
		KeyID: u.KeyID(), PublicKeyPEM: h.o.PublicKeyPEM, Discoverable: true,
		ManuallyApproves: approvesFollowers(c),
	}
	if c.Description != "" {
		a.Summary = "<p>" + html.EscapeString(c.Description) + "</p>"
	}
	if c.Logo != "" {
		a.IconURL = c.Origin() + c.BasePath() + strings.TrimPrefix(c.Logo, "/")
		a.IconMediaType = imageType(c.Logo)
	}
	site := html.EscapeString(c.BaseURL)
	a.Fields = append(a.Fields, as.Field{Name: "Course", Value: `<a href="` + site + `" rel="me nofollow noopener" target="_blank">` + site + `</a>`})
	if c.Organisation != "" {
		a.Fields = append(a.Fields, as.Field{Name: "Organiser", Value: html.EscapeString(c.Organisation)})
	}
	if c.License != "" {
		a.Fields = append(a.Fields, as.Field{Name: "Licence", Value: html.EscapeString(c.License)})
	}
	return a
}

func imageType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}

// actor answers /actor: the actor document, or a redirect to the site for
// a browser.
func (h *Handler) actor(w http.ResponseWriter, r *http.Request) error {
	if !wantsActivity(r) {
		redirectToPage(w, r, h.o.Course.BaseURL)
		return nil
	}
	body, err := as.Actor(h.CourseActor())
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}

// approvesFollowers reports whether the course approves its followers: it
// does when any cohort is private, so a private cohort's posts reach only
// the people a moderator (or the participants list) let in.
func approvesFollowers(c *site.Config) bool {
	for _, co := range c.Cohorts {
		if co.Audience == "private" {
			return true
		}
	}
	return false
}
