package prestart

import "testing"

func TestBuildSource(t *testing.T) {
	for _, c := range []struct {
		args   []string
		source string
		ok     bool
	}{
		{[]string{"build"}, ".", true},
		{[]string{"build", "-out", "out"}, ".", true},
		{[]string{"build", "--out", "o", "-source", "course"}, "course", true},
		{[]string{"build", "-v", "--source=/srv/course", "-drafts"}, "/srv/course", true},
		{[]string{"build", "-drafts", "-source", "c"}, "c", true},
		{[]string{"build", "-now", "2026-09-14", "--source", "c", "-v"}, "c", true},
		{[]string{"build", "-source="}, "", false},
		{[]string{"build", "stray", "-source", "c"}, ".", true}, // build refuses the stray argument itself
		{[]string{"serve", "-source", "c"}, "", false},
		{nil, "", false},
	} {
		source, ok := buildSource(c.args)
		if source != c.source || ok != c.ok {
			t.Errorf("buildSource(%q) = %q, %v; want %q, %v", c.args, source, ok, c.source, c.ok)
		}
	}
}
