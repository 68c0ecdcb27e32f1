package weave

import "strings"

// words are a weave's fixed texts in one language: the draft's notes to
// the moderator, its front matter, the sections' headings and their
// sentences for none, and the module's index. Each %d and %s is filled in
// the order the English text names them.
type words struct {
	Drafted    string // week, cohort id, first day, last day
	DraftNotes string // how to publish, a TOML comment of several lines
	Title      string // week, cohort name
	Summary    string // week
	Intro      string // week

	Featured, NoFeatured                   string
	Discussed, NoDiscussed, DiscussedAbove string
	MoreThisWeek                           string // replies under a thread that week
	Questions, NoQuestions, CanYouHelp     string
	On                                     string // "[author](url), on [lesson]"

	IndexTitle, IndexSummary, IndexBody string
}

// wordsByLanguage holds the languages the default theme speaks
// (themes/default/i18n: en, nl); another course language gets English,
// as the theme falls back to it.
var wordsByLanguage = map[string]words{
	"en": {
		Drafted: "Drafted by cohort weave from week %d of %s (%s to %s).",
		DraftNotes: "Edit freely, then delete the draft line to publish: the course account posts\n" +
			"the page to the cohort when it opens, mentioning the authors of the replies in\n" +
			"quotes. When you delete a quote, delete its id from quotes too.",
		Title:          "Week %d of %s: the weave",
		Summary:        "What we discussed in week %d: replies worth reading, the liveliest threads and questions still open.",
		Intro:          "A look back at week %d. Thank you all for the conversation.",
		Featured:       "Replies worth reading",
		NoFeatured:     "No reply was featured this week.",
		Discussed:      "The liveliest threads",
		NoDiscussed:    "No thread grew this week.",
		DiscussedAbove: "The liveliest threads start with a reply quoted above.",
		MoreThisWeek:   " (%d more this week)",
		Questions:      "Questions still open",
		NoQuestions:    "Every question of the week has an answer.",
		CanYouHelp:     " Can you help?",
		On:             "on",
		IndexTitle:     "Weekly weave",
		IndexSummary:   "Each week a moderator gathers the discussion: replies worth reading, the liveliest threads and questions still open.",
		IndexBody:      "Each week of a cohort, its moderator weaves the discussion together here.",
	},
	"nl": {
		Drafted: "Opgesteld door cohort weave uit week %d van %s (%s tot en met %s).",
		DraftNotes: "Pas vrij aan en verwijder dan de regel draft om te publiceren: het cursusaccount\n" +
			"plaatst de pagina bij het cohort zodra die opengaat, en noemt de auteurs van de\n" +
			"geciteerde reacties. Verwijder je een citaat, haal dan ook de id uit quotes.",
		Title:          "Week %d van %s: terugblik",
		Summary:        "Wat we in week %d bespraken: reacties die het lezen waard zijn, de levendigste draden en vragen die nog openstaan.",
		Intro:          "Een terugblik op week %d. Dank jullie wel voor het gesprek.",
		Featured:       "Reacties die het lezen waard zijn",
		NoFeatured:     "Deze week is geen reactie uitgelicht.",
		Discussed:      "De levendigste draden",
		NoDiscussed:    "Deze week groeide geen draad.",
		DiscussedAbove: "De levendigste draden beginnen met een reactie die hierboven staat.",
		MoreThisWeek:   " (deze week %d erbij)",
		Questions:      "Vragen die nog openstaan",
		NoQuestions:    "Elke vraag van deze week heeft een antwoord.",
		CanYouHelp:     " Kun jij helpen?",
		On:             "bij",
		IndexTitle:     "Wekelijkse terugblik",
		IndexSummary:   "Elke week brengt een moderator de discussie samen: reacties die het lezen waard zijn, de levendigste draden en vragen die nog openstaan.",
		IndexBody:      "In elke week van een cohort brengt de moderator hier de discussie samen.",
	},
}

// wordsFor returns the words of a course language ("nl", "nl-BE",
// "NL_nl"), English when the weave does not speak it.
func wordsFor(language string) words {
	base, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(language, "_", "-")), "-")
	if w, ok := wordsByLanguage[base]; ok {
		return w
	}
	return wordsByLanguage["en"]
}
