package sig

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
)

func TestDigestHeaders(t *testing.T) {
	body := []byte("hello")
	sum := sha256.Sum256(body)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	tests := []struct {
		name, digest, contentDigest string
		ok                          bool
	}{
		{"Mastodon's form", "SHA-256=" + b64, "", true},
		{"lower-case algorithm", "sha-256=" + b64, "", true},
		{"several algorithms", "SHA-512=AAAA, SHA-256=" + b64, "", true},
		{"wrong value", "SHA-256=" + base64.StdEncoding.EncodeToString(make([]byte, 32)), "", false},
		{"only SHA-512", "SHA-512=" + b64, "", false},
		{"RFC 9530 content-digest", "", "sha-256=:" + b64 + ":", true},
		{"content-digest among others", "", "sha-512=:AAAA:, sha-256=:" + b64 + ":", true},
		{"content-digest without colons", "", "sha-256=" + b64, false},
		{"content-digest wrong", "", "sha-256=:AAAA:", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.digest != "" {
				err = checkDigest(tt.digest, sum[:])
			} else {
				err = checkContentDigest(tt.contentDigest, sum[:])
			}
			if tt.ok && err != nil {
				t.Fatalf("err = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrDigest) {
				t.Fatalf("err = %v, want ErrDigest", err)
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	got, err := parseParams(`keyId="https://a.example/u#main-key", algorithm="rsa-sha256",headers="(request-target) host date",signature="a,b=="`)
	if err != nil {
		t.Fatal(err)
	}
	if got["keyid"] != "https://a.example/u#main-key" || got["signature"] != "a,b==" || got["headers"] != "(request-target) host date" {
		t.Errorf("parseParams = %q", got)
	}
	for _, bad := range []string{`keyId`, `keyId="a"x`, `keyId="a",keyId="b"`, `="a"`} {
		if _, err := parseParams(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseParams(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
}

// FuzzParseParams: any Signature header parses or fails with ErrMalformed,
// never panics.
func FuzzParseParams(f *testing.F) {
	f.Add(`keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="Y2FiYW"`)
	f.Add(`keyId=a,signature=b`)
	f.Add(`keyId="`)
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parseParams(s); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("parseParams(%q) = %v, not ErrMalformed", s, err)
		}
	})
}
