package activitypub

import (
	"errors"
	"log/slog"
	"net/http"
)

// HTTPError is a failure of a request to the companion: the status and the
// short, safe message the client gets, and the cause, which only the log sees.
type HTTPError struct {
	Status int
	Msg    string
	Err    error
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *HTTPError) Unwrap() error { return e.Err }

// Fail returns an HTTPError.
func Fail(status int, msg string, err error) error {
	return &HTTPError{Status: status, Msg: msg, Err: err}
}

// ServeError is the one place a handler's error becomes a response: an
// HTTPError gives its status and message, ErrNotFound a 404, anything else a
// 500 with no detail. The cause is logged with the path and remote host, as a
// warning for the client's mistakes and an error for the companion's own.
func ServeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, msg string, err error) {
	status, text := http.StatusInternalServerError, "internal error"
	var he *HTTPError
	switch {
	case errors.As(err, &he):
		status, text = he.Status, he.Msg
	case errors.Is(err, ErrNotFound):
		status, text = http.StatusNotFound, "not found"
	}
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	log.Log(r.Context(), level, msg, "path", r.URL.Path, "status", status, "remote_host", r.RemoteAddr, "error", err)
	http.Error(w, text, status)
}
