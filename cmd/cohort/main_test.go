package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cohort": func() {
			err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
			report(err)
			os.Exit(exitCode(err))
		},
	})
}

// TestScripts runs the command line as a user would: testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Cmds: scriptCmds})
}
