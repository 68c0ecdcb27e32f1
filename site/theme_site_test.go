package site

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
)

// siteFoldLayouts read the config's site fields every way a layout can: at the
// top, through $ inside {{with}} and {{range}}, as {{with}} and {{if}}
// conditions (not, and, or, short-circuit past a page field), with a
// variable declared or shadowed in a branch, with dot a field's receiver in
// a {{with}} body, and in partials called with the page's data and with
// other data.
var siteFoldLayouts = map[string]string{
	"page.html": `<html lang="{{.Site.Language}}"><title>{{.Site.Title}}</title>
{{$x := "outer"}}{{with .Site.Author}}<meta content="{{.}}">{{$x := "inner"}}{{$x}}{{template "partials/other.html" .}}{{else}}no author{{end}}{{$x}}
{{with .Site.Organisation}}<b>{{.}}</b>{{printf "%s!" .}}{{if .}}yes{{end}}{{else}}no org{{end}}
{{with .Site.License}}{{len .}}{{end}}{{with .Site.Logo}}{{$x = .}}{{end}}{{$x}}
{{if not .Site.OGImageOwn}}drawn{{else}}own{{end}}{{if and .Site.Author .Page.Title}}A{{end}}{{if and .Site.License .Page.Title}}B{{end}}
{{if or .Site.License .Page.Title}}C{{end}}{{if or .Site.Author .Page.Summary}}D{{end}}{{if and .Site.Author (not .Site.OGImageOwn)}}E{{end}}
{{range .Page.Tags}}<i>{{.}} {{$.Site.Title}}</i>{{end}}{{with .Page}}{{.Title}} · {{$.Site.Title}}{{end}}
{{T "feed_title" .Site.Title}} {{T "feed_title" .Page.Title}}
<a href="{{.Site.BasePath}}">{{.Site.BasePath}}</a><img src="{{.Site.OGImage}}">{{.Site.Generator}}
{{template "partials/page.html" .}}{{template "partials/page.html" $}}{{with .Page}}{{template "partials/mixed.html" .}}{{end}}{{template "partials/mixed.html" .}}</html>`,
	"partials/page.html":  `<p title="{{.Site.Title}}">{{with .Site.Description}}{{.}}{{else}}-{{end}}</p>`,
	"partials/mixed.html": `{{if eq (printf "%T" .) "site.PageData"}}{{.Site.Title}}{{else}}{{.Title}}{{end}}`,
	"partials/other.html": `<u>{{.}}</u>`,
}

// TestFoldSiteChangesNoPage: with the config's site fields folded into the
// layouts, a page comes out as it does without, for configs with and without
// each field; and what is folded is no longer read.
func TestFoldSiteChangesNoPage(t *testing.T) {
	for _, cfg := range []*Config{
		{Title: "Course <1> & 'two'", BaseURL: "https://example.org/c/", Language: "en", Author: "A & B", License: "CC", Description: "About it"},
		{Title: "Plain", BaseURL: "https://example.org/", Language: "nl", Organisation: "Org", Logo: "logo.png", OGImage: "own.png"},
	} {
		ui := map[string]string{"feed_title": "%s: new lessons"}
		page := &Page{Title: "Lesson & more", Tags: []string{"a", "b"}}
		build := func(fold bool) (string, *template.Template) {
			funcs := funcMap(cfg, ui)
			ts := template.New("").Funcs(funcs).Funcs(escapeFuncs())
			for name, text := range siteFoldLayouts {
				template.Must(ts.New(name).Parse(text))
			}
			if fold {
				foldSite(ts, cfg, []string{"page.html"}, map[string]bool{"partials/other.html": true})
				foldConstants(ts, funcs)
				simplifySite(ts)
				escapeAndFold(ts, []string{"page.html"}, nil)
				fuseEscapers(ts)
			}
			site := configSite(cfg)
			var b bytes.Buffer
			if err := ts.ExecuteTemplate(&b, "page.html", PageData{Site: &site, Page: page}); err != nil {
				t.Fatal(err)
			}
			return b.String(), ts
		}
		want, _ := build(false)
		got, folded := build(true)
		if got != want {
			t.Errorf("with %q folded, the page is\n%s\nwant\n%s", cfg.Title, got, want)
		}
		for _, name := range []string{"page.html", "partials/page.html"} {
			text := folded.Lookup(name).Tree.Root.String()
			for _, field := range []string{".Site.Title", ".Site.Language", ".Site.Description", ".Site.OGImageOwn", ".Site.BasePath"} {
				if strings.Contains(text, field) {
					t.Errorf("%s still reads %s:\n%s", name, field, text)
				}
			}
		}
		if text := folded.Lookup("partials/mixed.html").Tree.Root.String(); !strings.Contains(text, ".Site") {
			t.Errorf("partials/mixed.html, called with a page, is folded as if with PageData:\n%s", text)
		}
	}
}
