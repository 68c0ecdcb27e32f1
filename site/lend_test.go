package site

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestLentPagesKeepTheLastBuild: a builder that starts from the cache builds
// with the cache's own pages (reuser.reuse lends them), which its graph and
// rendering then change. Moving lessons, a build that fails after the graph
// moved them back, a cache saved after that failure, and a new process that
// starts from that cache: after each, serve's output and the new process's
// are what a clean build makes, and a failed build leaves the output as it was.
func TestLentPagesKeepTheLastBuild(t *testing.T) {
	dir := affectedCourse(t)
	ctx := context.Background()
	cache := filepath.Join(dir, "cache")
	if _, err := Build(ctx, Options{Source: dir, Out: filepath.Join(dir, "first"), CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	serveOut := filepath.Join(dir, "serve")
	if err := os.Rename(filepath.Join(dir, "first"), serveOut); err != nil {
		t.Fatal(err)
	}
	serve := NewBuilder(Options{Source: dir, Out: serveOut, CacheDir: cache, DeferCacheSave: true})
	edit := func(rel, from, to string) {
		t.Helper()
		editFile(t, dir, rel, from, to) // outline_test.go
	}
	same := func(step, who, out string) {
		t.Helper()
		if d := diffTrees(cleanBuild(t, dir), outSnapshot(t, out), false); d != "" {
			t.Fatalf("%s: %s differs from a clean build (-clean +%s):\n%s", step, who, who, d)
		}
	}

	// The first build of serve takes every page from the cache.
	if _, err := serve.Build(ctx); err != nil {
		t.Fatal(err)
	}
	same("from the cache", "serve", serveOut)

	// A lesson moved last in its module: the lessons after it move up.
	edit("content/02-mod/l2.md", "weight = 2", "weight = 9")
	if _, err := serve.BuildChanged(ctx, []string{"content/02-mod/l2.md"}); err != nil {
		t.Fatal(err)
	}
	same("lesson moved", "serve", serveOut)

	// Moved back, while another lesson links to a heading that does not
	// exist: the build fails after its graph put the lessons back.
	edit("content/02-mod/l2.md", "weight = 9", "weight = 2")
	edit("content/03-mod/l1.md", "#part-one", "#no-such-part")
	before := snapshot(t, serveOut)
	if _, err := serve.BuildChanged(ctx, []string{"content/02-mod/l2.md", "content/03-mod/l1.md"}); err == nil {
		t.Fatal("a link to a missing heading built")
	}
	if d := diffTrees(before, snapshot(t, serveOut), true); d != "" {
		t.Fatalf("the failed build changed the output:\n%s", d)
	}
	// serve stops, saving the last successful build's state.
	if err := serve.SaveCache(); err != nil {
		t.Fatal(err)
	}

	edit("content/03-mod/l1.md", "#no-such-part", "#part-one")
	// A new process, from that cache, and an output copied from serve's.
	fresh := filepath.Join(dir, "fresh")
	if err := os.CopyFS(fresh, os.DirFS(serveOut)); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(ctx, Options{Source: dir, Out: fresh, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	same("new process after the failed build", "the new process", fresh)
	// serve, after the failure, looks at everything again (as live.Server does).
	if _, err := serve.BuildChanged(ctx, nil); err != nil {
		t.Fatal(err)
	}
	same("serve after the failed build", "serve", serveOut)

	// And once more, an edit that moves lessons, in both.
	edit("content/02-mod/l3.md", "weight = 3", "weight = 0")
	if _, err := serve.BuildChanged(ctx, []string{"content/02-mod/l3.md"}); err != nil {
		t.Fatal(err)
	}
	same("second move", "serve", serveOut)
	if _, err := Build(ctx, Options{Source: dir, Out: fresh, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	same("second move", "the new process", fresh)
}
