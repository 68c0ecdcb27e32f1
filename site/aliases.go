package site

import "fmt"

// aliasPages writes a page at each alias a page's front matter lists, which
// sends the reader on to the page (layout alias.html).
func (r *run) aliasPages(base PageData) error {
	for _, p := range r.course.All() {
		for _, a := range p.Aliases {
			data := base
			data.Page = p
			html, err := r.theme.execute("alias.html", data)
			if err != nil {
				return fmt.Errorf("render alias %s: %w", a, err)
			}
			if err := r.out.write(r.outPath(aliasURL(r.cfg.BasePath(), a)), html); err != nil {
				return err
			}
		}
	}
	return nil
}
