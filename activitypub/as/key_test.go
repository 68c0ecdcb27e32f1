package as_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/sig"
)

// base58btc encodes b as Bitcoin's base58, for building Multikeys.
func base58btc(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod, radix := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func jsonDoc(t *testing.T, v map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseKeyForms: every form a keyId's document takes in the
// fediverse gives the key and the owner it names; documents that do not
// name the key, or contradict themselves, are refused.
func TestParseKeyForms(t *testing.T) {
	const gts = "http://localhost:8080/users/alice"
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edMultibase := "z" + base58btc(append([]byte{0xed, 0x01}, edPub...))
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaMultibase := "z" + base58btc(append([]byte{0x85, 0x24}, x509.MarshalPKCS1PublicKey(&rk.PublicKey)...))
	const bob = "https://mitra.example/users/bob"
	mitraActor := map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/multikey/v1"},
		"id":       bob, "type": "Person", "inbox": bob + "/inbox",
		"publicKey": map[string]any{"id": bob + "#main-key", "owner": bob, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"},
		"assertionMethod": []any{
			map[string]any{"id": bob + "#ed25519-key", "type": "Multikey", "controller": bob, "publicKeyMultibase": edMultibase},
			map[string]any{"id": bob + "#rsa-key", "type": "Multikey", "controller": bob, "publicKeyMultibase": rsaMultibase},
		},
	}
	tests := []struct {
		name      string
		doc       []byte
		keyID     string
		wantOwner string
		wantErr   bool
	}{
		{name: "Mastodon: actor with #main-key", doc: fixture(t, "mastodon-actor.json"), keyID: alice + "#main-key", wantOwner: alice},
		{name: "GoToSocial: minimal Person with no inbox, key at its own path",
			doc: fixture(t, "gotosocial-actor-alice-main-key.json"), keyID: gts + "/main-key", wantOwner: gts},
		{name: "GoToSocial: the full actor lists the same key", doc: fixture(t, "gotosocial-actor-alice.json"), keyID: gts + "/main-key", wantOwner: gts},
		{name: "bare key object with no type",
			doc:   []byte(`{"@context":"https://w3id.org/security/v1","id":"https://gts.example/users/bob/main-key","owner":"https://gts.example/users/bob","publicKeyPem":"PEM"}`),
			keyID: "https://gts.example/users/bob/main-key", wantOwner: "https://gts.example/users/bob"},
		{name: "bare key object of type Key",
			doc:   []byte(`{"id":"https://x.example/k","type":"Key","owner":"https://x.example/u","publicKeyPem":"PEM"}`),
			keyID: "https://x.example/k", wantOwner: "https://x.example/u"},
		{name: "bare key object of type CryptographicKey",
			doc:   []byte(`{"id":"https://x.example/k","type":"CryptographicKey","owner":"https://x.example/u","publicKeyPem":"PEM"}`),
			keyID: "https://x.example/k", wantOwner: "https://x.example/u"},
		{name: "FEP-521a: Ed25519 Multikey in assertionMethod", doc: jsonDoc(t, mitraActor), keyID: bob + "#ed25519-key", wantOwner: bob},
		{name: "FEP-521a: RSA Multikey in assertionMethod", doc: jsonDoc(t, mitraActor), keyID: bob + "#rsa-key", wantOwner: bob},
		{name: "FEP-521a: a Multikey document of its own",
			doc:   jsonDoc(t, map[string]any{"id": bob + "#ed25519-key", "type": "Multikey", "controller": bob, "publicKeyMultibase": edMultibase}),
			keyID: bob + "#ed25519-key", wantOwner: bob},
		{name: "actor that does not list the key", doc: fixture(t, "mastodon-actor.json"), keyID: alice + "#other-key", wantErr: true},
		{name: "key document under another id", doc: fixture(t, "gotosocial-actor-alice-main-key.json"), keyID: gts + "/other-key", wantErr: true},
		{name: "bare key with no owner", doc: []byte(`{"id":"https://x.example/k","publicKeyPem":"PEM"}`), keyID: "https://x.example/k", wantErr: true},
		{name: "bare key with no material", doc: []byte(`{"id":"https://x.example/k","owner":"https://x.example/u"}`), keyID: "https://x.example/k", wantErr: true},
		{name: "actor whose key names another owner",
			doc:   []byte(`{"id":"https://x.example/u","type":"Person","publicKey":{"id":"https://x.example/u#k","owner":"https://x.example/eve","publicKeyPem":"PEM"}}`),
			keyID: "https://x.example/u#k", wantErr: true},
		{name: "a Note is not a key", doc: []byte(`{"id":"https://x.example/k","type":"Note","owner":"https://x.example/u","publicKeyPem":"PEM"}`),
			keyID: "https://x.example/k", wantErr: true},
		{name: "Multikey that is not base58btc",
			doc:   jsonDoc(t, map[string]any{"id": bob + "#k", "type": "Multikey", "controller": bob, "publicKeyMultibase": "uAAAA"}),
			keyID: bob + "#k", wantErr: true},
		{name: "Multikey with a codec we cannot verify",
			doc:   jsonDoc(t, map[string]any{"id": bob + "#k", "type": "Multikey", "controller": bob, "publicKeyMultibase": "z" + base58btc([]byte{0xe7, 0x01, 1, 2, 3})}),
			keyID: bob + "#k", wantErr: true},
		{name: "Multikey too long to decode cheaply",
			doc:   jsonDoc(t, map[string]any{"id": bob + "#k", "type": "Multikey", "controller": bob, "publicKeyMultibase": "z" + strings.Repeat("2", 5000)}),
			keyID: bob + "#k", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := as.ParseKey(context.Background(), tt.doc, tt.keyID)
			if tt.wantErr {
				if !errors.Is(err, as.ErrInvalid) {
					t.Fatalf("ParseKey = %+v, %v; want ErrInvalid", k, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != tt.keyID || k.Owner != tt.wantOwner || k.PEM == "" {
				t.Fatalf("ParseKey = %+v", k)
			}
		})
	}

	// A Multikey's material reads back as the key it encodes.
	k, err := as.ParseKey(context.Background(), jsonDoc(t, mitraActor), bob+"#ed25519-key")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sig.ParsePublicKeyPEM(k.PEM)
	if err != nil || !edPub.Equal(pub) {
		t.Fatalf("ed25519 multikey = %v, %v", pub, err)
	}
	k, err = as.ParseKey(context.Background(), jsonDoc(t, mitraActor), bob+"#rsa-key")
	if err != nil {
		t.Fatal(err)
	}
	pub, err = sig.ParsePublicKeyPEM(k.PEM)
	if err != nil || !rk.PublicKey.Equal(pub) {
		t.Fatalf("rsa multikey = %v, %v", pub, err)
	}
}

// TestParseActorKeys: an actor's Keys are what its own document lists on
// its own host; a key on another host is not the actor's to claim.
func TestParseActorKeys(t *testing.T) {
	a, err := as.ParseActor(context.Background(), fixture(t, "gotosocial-actor-alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Keys) != 1 || a.Keys[0].ID != "http://localhost:8080/users/alice/main-key" || a.PublicKeyID != a.Keys[0].ID {
		t.Fatalf("GoToSocial actor keys = %+v", a.Keys)
	}
	doc := `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://x.example/u","type":"Person","inbox":"https://x.example/u/inbox",
		"publicKey":{"id":"https://victim.example/users/v#main-key","owner":"https://x.example/u","publicKeyPem":"PEM"}}`
	a, err = as.ParseActor(context.Background(), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Keys) != 0 || a.PublicKeyID != "" {
		t.Fatalf("a key on another host was taken: %+v", a)
	}
	if _, err := as.ParseActor(context.Background(), fixture(t, "gotosocial-actor-alice-main-key.json")); !errors.Is(err, as.ErrInvalid) {
		t.Fatalf("a minimal Person without inbox is no actor to deliver to: %v", err)
	}
}
