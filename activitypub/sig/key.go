package sig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
)

// KeyBits is the size of the keys GenerateKey makes: 2048-bit RSA is what
// Mastodon generates and what every fediverse server verifies.
const KeyBits = 2048

// KeyPair is an actor's RSA key pair. It never prints its private key: not in
// logs (LogValue), not with fmt (String, GoString, Format).
type KeyPair struct {
	private *rsa.PrivateKey
}

// GenerateKey makes a new 2048-bit RSA key pair.
func GenerateKey() (*KeyPair, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate rsa key: %w", err)
	}
	return &KeyPair{private: k}, nil
}

// ParsePrivateKeyPEM reads a private key from PEM, either PKCS #1 ("RSA
// PRIVATE KEY") or PKCS #8 ("PRIVATE KEY") holding an RSA key.
func ParsePrivateKeyPEM(s string) (*KeyPair, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("parse private key: no PEM block")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key: pkcs1: %w", err)
		}
		return &KeyPair{private: k}, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key: pkcs8: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("parse private key: pkcs8 holds %T, want RSA", k)
		}
		return &KeyPair{private: rk}, nil
	default:
		return nil, fmt.Errorf("parse private key: unexpected PEM block %q", block.Type)
	}
}

// ParsePublicKeyPEM reads a public key from PEM, either PKIX ("PUBLIC KEY",
// what Mastodon publishes as publicKeyPem) or PKCS #1 ("RSA PUBLIC KEY").
// PKIX may hold RSA or Ed25519 keys; both verify with Signature.Verify.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("parse public key: no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: pkix: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: pkcs1: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("parse public key: unexpected PEM block %q", block.Type)
	}
}

// PrivateKey returns the RSA private key, for Sign.
func (k *KeyPair) PrivateKey() *rsa.PrivateKey { return k.private }

// PublicKey returns the RSA public key.
func (k *KeyPair) PublicKey() *rsa.PublicKey { return &k.private.PublicKey }

// PrivateKeyPEM encodes the private key as PKCS #1 PEM, for storage.
func (k *KeyPair) PrivateKeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.private)}))
}

// PublicKeyPEM encodes the public key as PKIX PEM, the form an actor's
// publicKeyPem carries.
func (k *KeyPair) PublicKeyPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&k.private.PublicKey)
	if err != nil {
		// An *rsa.PublicKey always marshals; this is unreachable.
		panic(fmt.Sprintf("marshal rsa public key: %v", err))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Fingerprint returns the hex SHA-256 of the public key's PKIX form: safe to
// log, and enough to tell keys apart.
func (k *KeyPair) Fingerprint() string {
	der, _ := x509.MarshalPKIXPublicKey(&k.private.PublicKey)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// LogValue implements slog.LogValuer: the key's size and public fingerprint,
// never the private key.
func (k *KeyPair) LogValue() slog.Value {
	if k == nil || k.private == nil {
		return slog.StringValue("<no key>")
	}
	return slog.GroupValue(
		slog.Int("bits", k.private.N.BitLen()),
		slog.String("fingerprint", k.Fingerprint()),
	)
}

// String describes the key by its public fingerprint.
func (k *KeyPair) String() string {
	if k == nil || k.private == nil {
		return "<no key>"
	}
	return "rsa key " + k.Fingerprint()
}

// GoString is String, so %#v shows no secret.
func (k *KeyPair) GoString() string { return k.String() }

// Format implements fmt.Formatter so that every verb, %d and %x included,
// prints String and never the key's numbers.
func (k *KeyPair) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }
