package activitypub

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServeError: a client learns the status and a safe message, never the cause.
func TestServeError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"HTTPError keeps its status and message", Fail(http.StatusGone, "lesson removed", errors.New("row 7 tombstoned")), 410, "lesson removed"},
		{"wrapped HTTPError too", fmt.Errorf("step: %w", Fail(400, "bad page", nil)), 400, "bad page"},
		{"missing item is a 404", fmt.Errorf("lesson x: %w", ErrNotFound), 404, "not found"},
		{"anything else is a 500 without detail", errors.New("disk full at /var/lib/secret"), 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			ServeError(w, httptest.NewRequest("GET", "/x", nil), slog.New(slog.DiscardHandler), "request failed", tt.err)
			if w.Code != tt.status || strings.TrimSpace(w.Body.String()) != tt.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
		})
	}
}
