package markdown

// KaTeX, run at build time by goja, so that pages carry math as HTML and MathML and
// no script. katex/katex.min.js is the katex package from the npm registry (see
// katex/README.md for its version and license).
//
// KaTeX's HTML positions glyphs with style attributes, which the site's
// Content-Security-Policy (style-src 'self', no inline styles) would drop. Each
// distinct style becomes a class named for its hash, and its rule goes to a
// stylesheet of the page's own (Result.MathCSS), so the policy stays as it is.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

//go:embed katex/katex.min.js
var katexJS string

// katexProgram is katex.min.js compiled once for every runtime.
var katexProgram = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile("katex.min.js", katexJS, false)
})

// FormulaCache keeps rendered formulas between builds (site keeps it in the build
// cache folder). Get and Put are called from many goroutines.
type FormulaCache interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte)
}

// Formula is one formula rendered: KaTeX's HTML with classes instead of styles,
// and the CSS rules of those classes.
type Formula struct {
	HTML  string
	Rules []string
}

// mathEngine renders TeX with KaTeX. It keeps a goja runtime per core (a runtime
// is not safe for concurrent use) and every formula it rendered, in memory and,
// when given, in a FormulaCache.
type mathEngine struct {
	runtimes chan *katexRuntime
	memo     sync.Map // formula key → Formula
	disk     FormulaCache
}

type katexRuntime struct {
	vm     *goja.Runtime
	render goja.Callable
}

func newMathEngine(disk FormulaCache) *mathEngine {
	return &mathEngine{runtimes: make(chan *katexRuntime, runtime.GOMAXPROCS(0)), disk: disk}
}

// MathError is TeX that KaTeX cannot read.
type MathError struct {
	Line int // 1-based within the Markdown given to Render
	TeX  string
	Err  error
}

// Error says where the formula is and what KaTeX said.
func (e *MathError) Error() string {
	return fmt.Sprintf("line %d: math %q: %v", e.Line, e.TeX, e.Err)
}

// Unwrap returns KaTeX's error.
func (e *MathError) Unwrap() error { return e.Err }

// formulaKey names a formula in the caches: the KaTeX build and the display mode are
// part of it, so a new katex.min.js renders everything again.
func formulaKey(tex string, display bool) string {
	h := sha256.New()
	h.Write([]byte(katexVersion()))
	if display {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	h.Write([]byte(tex))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// katexVersion identifies the embedded KaTeX for cache keys. Worked out when
// a first formula needs it, not while the program starts: digesting the
// script took about a millisecond of every process, formulas or not.
var katexVersion = sync.OnceValue(func() string {
	s := sha256.Sum256([]byte(katexJS))
	return hex.EncodeToString(s[:8])
})

// Render renders one formula, from the caches when it was rendered before.
func (e *mathEngine) Render(tex string, display bool) (Formula, error) {
	key := formulaKey(tex, display)
	if f, ok := e.memo.Load(key); ok {
		return f.(Formula), nil
	}
	if e.disk != nil {
		if b, ok := e.disk.Get(key); ok {
			if f, ok := decodeFormula(b); ok {
				e.memo.Store(key, f)
				return f, nil
			}
		}
	}
	html, err := e.katex(tex, display)
	if err != nil {
		return Formula{}, err
	}
	f := classStyles(html)
	e.memo.Store(key, f)
	if e.disk != nil {
		e.disk.Put(key, encodeFormula(f))
	}
	return f, nil
}

// katex runs katex.renderToString on a runtime of the pool.
func (e *mathEngine) katex(tex string, display bool) (string, error) {
	var rt *katexRuntime
	select {
	case rt = <-e.runtimes:
	default:
		var err error
		if rt, err = newKatexRuntime(); err != nil {
			return "", err
		}
	}
	defer func() {
		select {
		case e.runtimes <- rt:
		default: // the pool is full: let this one go
		}
	}()
	opts := rt.vm.NewObject()
	_ = opts.Set("displayMode", display)
	_ = opts.Set("throwOnError", true)
	_ = opts.Set("output", "htmlAndMathml")
	v, err := rt.render(goja.Undefined(), rt.vm.ToValue(tex), opts)
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			msg := ex.Value().String()
			return "", errors.New(strings.TrimPrefix(msg, "ParseError: "))
		}
		return "", err
	}
	return v.String(), nil
}

// newKatexRuntime starts a JavaScript runtime with KaTeX loaded.
func newKatexRuntime() (*katexRuntime, error) {
	prog, err := katexProgram()
	if err != nil {
		return nil, fmt.Errorf("katex: compile: %w", err)
	}
	vm := goja.New()
	// katex.min.js is a UMD bundle: given module.exports, it puts itself there.
	if _, err := vm.RunString("var module = {exports: {}}; var exports = module.exports;"); err != nil {
		return nil, err
	}
	if _, err := vm.RunProgram(prog); err != nil {
		return nil, fmt.Errorf("katex: load: %w", err)
	}
	k := vm.Get("module").ToObject(vm).Get("exports").ToObject(vm)
	if d := k.Get("default"); d != nil && !goja.IsUndefined(d) {
		k = d.ToObject(vm)
	}
	render, ok := goja.AssertFunction(k.Get("renderToString"))
	if !ok {
		return nil, errors.New("katex: no renderToString in katex.min.js")
	}
	return &katexRuntime{vm: vm, render: render}, nil
}

var (
	tagPattern   = regexp.MustCompile(`<[a-zA-Z][^<>]*>`)
	stylePattern = regexp.MustCompile(` style="([^"]*)"`)
	classPattern = regexp.MustCompile(` class="([^"]*)"`)
)

// classStyles moves every style attribute of KaTeX's HTML into a class named for
// the style's hash, and returns the rules for those classes. The rules are
// !important, as an inline style wins over KaTeX's stylesheet.
func classStyles(html string) Formula {
	rules := map[string]string{}
	out := tagPattern.ReplaceAllStringFunc(html, func(tag string) string {
		m := stylePattern.FindStringSubmatchIndex(tag)
		if m == nil {
			return tag
		}
		style := tag[m[2]:m[3]]
		sum := sha256.Sum256([]byte(style))
		class := "k" + hex.EncodeToString(sum[:5])
		rules[class] = styleRule(class, style)
		tag = tag[:m[0]] + tag[m[1]:]
		if c := classPattern.FindStringSubmatchIndex(tag); c != nil {
			return tag[:c[3]] + " " + class + tag[c[3]:]
		}
		i := strings.IndexAny(tag, " >/")
		return tag[:i] + ` class="` + class + `"` + tag[i:]
	})
	f := Formula{HTML: out}
	for _, r := range rules {
		f.Rules = append(f.Rules, r)
	}
	slices.Sort(f.Rules)
	return f
}

// styleRule writes one class's rule from a style attribute's declarations.
func styleRule(class, style string) string {
	var b strings.Builder
	b.WriteString(".katex ." + class + "{")
	for _, d := range strings.Split(strings.ReplaceAll(style, "&quot;", `"`), ";") {
		if d = strings.TrimSpace(d); d != "" {
			b.WriteString(d + "!important;")
		}
	}
	b.WriteString("}")
	return b.String()
}

// encodeFormula and decodeFormula store a Formula in the FormulaCache: the HTML,
// then a NUL, then the rules one a line.
func encodeFormula(f Formula) []byte {
	return []byte(f.HTML + "\x00" + strings.Join(f.Rules, "\n"))
}

func decodeFormula(b []byte) (Formula, bool) {
	html, rules, ok := strings.Cut(string(b), "\x00")
	if !ok {
		return Formula{}, false
	}
	f := Formula{HTML: html}
	if rules != "" {
		f.Rules = strings.Split(rules, "\n")
	}
	return f, true
}

// mathCSS is a page's stylesheet of formula rules, sorted so the same page always
// gives the same bytes.
func mathCSS(rules map[string]bool) []byte {
	var b bytes.Buffer
	b.WriteString("/* Positions of this page's formulas, made by cohort from KaTeX's output. */\n")
	for _, r := range slices.Sorted(maps.Keys(rules)) {
		b.WriteString(r + "\n")
	}
	return b.Bytes()
}
