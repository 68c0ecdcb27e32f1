package markdown

import (
	"html/template"
	"strings"
)

// builtinLabels are the words the extensions write into HTML, per language. English is
// the fallback for every key; the theme's i18n files override them through Options.Labels.
var builtinLabels = map[string]map[string]string{
	"en": {
		"callout_note":      "Note",
		"callout_tip":       "Tip",
		"callout_important": "Important",
		"callout_warning":   "Warning",
		"callout_caution":   "Caution",
		"discussion_prompt": "Discuss",
		"discussion_join":   "Join the discussion",
		"video_play":        "Play video",
		"video_watch_on":    "watch on",
		"video_download":    "Download the video",
	},
	"nl": {
		"callout_note":      "Opmerking",
		"callout_tip":       "Tip",
		"callout_important": "Belangrijk",
		"callout_warning":   "Waarschuwing",
		"callout_caution":   "Let op",
		"discussion_prompt": "Bespreek",
		"discussion_join":   "Doe mee aan de discussie",
		"video_play":        "Video afspelen",
		"video_watch_on":    "bekijk op",
		"video_download":    "Download de video",
	},
}

// labels holds the words of one Renderer, already HTML-escaped, so rendering a page
// never looks up or escapes them again.
type labels struct {
	callout map[string]string // by callout kind: "note", "tip", …
	prompt  string
	join    string
	play    string
	watchOn string
	dl      string
}

func newLabels(lang string, override map[string]string) *labels {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i] // "nl-BE" uses the Dutch words
	}
	word := func(key string) string {
		if s, ok := override[key]; ok && s != "" {
			return template.HTMLEscapeString(s)
		}
		if s, ok := builtinLabels[lang][key]; ok {
			return template.HTMLEscapeString(s)
		}
		return template.HTMLEscapeString(builtinLabels["en"][key])
	}
	l := &labels{
		callout: map[string]string{},
		prompt:  word("discussion_prompt"),
		join:    word("discussion_join"),
		play:    word("video_play"),
		watchOn: word("video_watch_on"),
		dl:      word("video_download"),
	}
	for _, kind := range calloutKinds {
		l.callout[kind] = word("callout_" + kind)
	}
	return l
}
