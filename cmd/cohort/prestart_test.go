package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/cohort-course/cohort/cmd/cohort/internal/prestart"
)

// TestPrestartKnowsBuildFlags holds prestart's list of build's flags without
// a value to build's own: prestart reads --source from the command line before
// the flag package can, and a flag it took for one with a value would hide the
// argument after it.
func TestPrestartKnowsBuildFlags(t *testing.T) {
	var stderr bytes.Buffer
	run(context.Background(), []string{"build", "-h"}, &bytes.Buffer{}, &stderr)
	flags := regexp.MustCompile(`(?m)^  -([^\s=]+)( [^\s]+)?(?:\t|$)`).FindAllStringSubmatch(stderr.String(), -1)
	if len(flags) < 5 {
		t.Fatalf("build -h listed %d flags:\n%s", len(flags), stderr.String())
	}
	for _, f := range flags {
		name, boolean := f[1], f[2] == ""
		if prestart.BoolFlags[name] != boolean {
			t.Errorf("build's -%s takes a value: %v; prestart.BoolFlags says %v", name, !boolean, prestart.BoolFlags[name])
		}
	}
}
