package deps

import "testing"

// TestChanged: an output is redone exactly when one of its reads would return
// something else now, misses and unknown kinds of read included.
func TestChanged(t *testing.T) {
	var rec Recorder
	rec.Read("page:a.md", "/a/")
	rec.Has("url:/about", false)
	rec.Has("url:/about/", true)
	reads := rec.Reads()
	now := map[string]string{"page:a.md": "/a/", "url:/about/": "1"}
	current := func(k string) string {
		kind, _ := Split(k)
		if kind != "page" && kind != "url" {
			return Unknown
		}
		return now[k]
	}
	cases := []struct {
		name string
		edit func()
		want string
	}{
		{"nothing changed", func() {}, ""},
		{"a linked page moved", func() { now["page:a.md"] = "/b/a/" }, "page:a.md"},
		{"a linked page went", func() { delete(now, "page:a.md") }, "page:a.md"},
		{"a URL that was missing appeared", func() { now["url:/about"] = "1" }, "url:/about"},
		{"a URL that was there went", func() { delete(now, "url:/about/") }, "url:/about/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now = map[string]string{"page:a.md": "/a/", "url:/about/": "1"}
			c.edit()
			key, changed := reads.Changed(current)
			if key != c.want || changed != (c.want != "") {
				t.Errorf("Changed = %q, %t; want %q", key, changed, c.want)
			}
		})
	}
	if _, changed := (Reads{"thread:x": "1"}).Changed(current); !changed {
		t.Error("a read of a kind the build no longer answers did not count as a change")
	}
}
