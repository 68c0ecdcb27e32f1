// Command floor times the part of building a course that any static site
// generator using goldmark must do, to put a cold build's figures beside
// what they cannot go below on this machine. Over the course's Markdown
// files, on all cores, it
//
//   - markdown: reads each file and converts its body with goldmark, with the
//     extensions cohort and Hugo both turn on (GFM, footnotes, typographer,
//     definition lists, heading ids), and writes nothing;
//   - write: reads each file and writes its bytes to OUT/<path>/index.html,
//     a folder per page, as both tools lay out their output;
//   - both: converts and writes the converted HTML there.
//
// No layout, no highlighting, no search index, no feed: a real build does
// all of that besides. It is a developer's tool, run by hand (or by
// bench/build-vs-hugo.sh -f) on a quiet machine; see bench/README.md.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

func main() {
	source := flag.String("source", ".", "course folder (with content/)")
	out := flag.String("out", "", "output folder, made if missing (write and both)")
	mode := flag.String("mode", "both", "markdown, write or both")
	flag.Parse()
	if err := run(*source, *out, *mode); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(source, out, mode string) error {
	switch mode {
	case "markdown", "write", "both":
	default:
		return fmt.Errorf("-mode must be markdown, write or both, not %q", mode)
	}
	convert, write := mode != "write", mode != "markdown"
	if write && out == "" {
		return fmt.Errorf("-mode %s needs -out", mode)
	}
	content := filepath.Join(source, "content")
	files, err := markdownFiles(content)
	if err != nil {
		return err
	}
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM, extension.Footnote, extension.Typographer, extension.DefinitionList),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	start := time.Now()
	var next, in, made atomic.Int64
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				data, err := os.ReadFile(filepath.Join(content, files[i]))
				if err != nil {
					fail(err)
					return
				}
				in.Add(int64(len(data)))
				body := withoutFrontMatter(data)
				if convert {
					buf.Reset()
					if err := md.Convert(body, &buf); err != nil {
						fail(fmt.Errorf("%s: %w", files[i], err))
						return
					}
					body = buf.Bytes()
				}
				made.Add(int64(len(body)))
				if write {
					dir := filepath.Join(out, pageFolder(files[i]))
					if err := os.MkdirAll(dir, 0o755); err != nil {
						fail(err)
						return
					}
					if err := os.WriteFile(filepath.Join(dir, "index.html"), body, 0o644); err != nil {
						fail(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	fmt.Printf("%s: %d files, %.1f MB read, %.1f MB made, %d goroutines, %.2f s\n", mode, len(files),
		float64(in.Load())/1e6, float64(made.Load())/1e6, runtime.GOMAXPROCS(0), time.Since(start).Seconds())
	return nil
}

// markdownFiles lists the .md files under dir, by path relative to it, sorted.
func markdownFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no Markdown files under %s", dir)
	}
	return files, err
}

// withoutFrontMatter returns data after its front matter, when it opens
// with a line of +++ or --- and has a closing one.
func withoutFrontMatter(data []byte) []byte {
	for _, fence := range []string{"+++", "---"} {
		if !bytes.HasPrefix(data, []byte(fence+"\n")) {
			continue
		}
		if end := bytes.Index(data[len(fence)+1:], []byte("\n"+fence+"\n")); end >= 0 {
			return data[len(fence)+1+end+len(fence)+2:]
		}
	}
	return data
}

// pageFolder is the folder a page's index.html goes in: the file's path
// without .md, or its folder for an _index.md.
func pageFolder(rel string) string {
	if filepath.Base(rel) == "_index.md" {
		return filepath.Dir(rel)
	}
	return strings.TrimSuffix(rel, ".md")
}
