package as

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/cohort-course/cohort/activitypub"
)

// The forms a key takes in the fediverse, and where each comes from:
//
//   - A publicKey object embedded in the actor, its id a fragment of the
//     actor's id ("<actor>#main-key"): Mastodon
//     (mastodon/mastodon app/serializers/activitypub/actor_serializer.rb,
//     PublicKeySerializer), Misskey, Pleroma, PeerTube, Lemmy, Pixelfed,
//     Friendica, WordPress.
//   - A key id that is a path of its own ("<actor>/main-key"): dereferenced
//     it gives a minimal Person with id, preferredUsername and publicKey and
//     no inbox, served without a signature, while the full actor is served
//     only to signed requests: GoToSocial
//     (superseriousbusiness/gotosocial internal/typeutils/internaltoas.go,
//     AccountToASMinimal; captured in shared/fixtures/gotosocial).
//   - A bare key object: id, owner and publicKeyPem, with no type or with
//     type Key or CryptographicKey (the security/v1 vocabulary).
//   - FEP-521a Multikeys listed in the actor's assertionMethod: type
//     Multikey, controller, publicKeyMultibase, beside or instead of
//     publicKey (codeberg fediverse/fep, fep/521a/fep-521a.md; the FEP's
//     author's server, Mitra, and Fedify-based servers publish them).

// keyTypes are the types a bare key document may have; "" is a key object
// with no type, as GoToSocial and older Mastodon send.
var keyTypes = []string{"", "Key", "CryptographicKey", "Multikey"}

// ParseKey reads what a keyId points at and returns the key with that id
// and the actor the document names as its owner. The document may be an
// actor, full or minimal (no inbox needed), that lists the key in publicKey
// or assertionMethod; or a bare key object. It names the owner only: the
// caller must fetch the owner's own document and check that it lists the
// same key before trusting the pair.
func ParseKey(ctx context.Context, data []byte, keyID string) (activitypub.ActorKey, error) {
	d, err := DecodeKeyDocument(data)
	if err != nil {
		return activitypub.ActorKey{}, err
	}
	return d.Key(keyID)
}

// KeyDocument is what a keyId points at, checked against KeyLimits and
// decoded once: in the "#main-key" form the same document gives the key
// and then its owner, the actor.
type KeyDocument struct {
	m map[string]any
}

// DecodeKeyDocument checks data against KeyLimits and decodes it. An error
// wraps ErrInvalid (and ErrLimit for a document over the limits).
func DecodeKeyDocument(data []byte) (KeyDocument, error) {
	m, err := decode(data, KeyLimits)
	if err != nil {
		return KeyDocument{}, err
	}
	return KeyDocument{m: m}, nil
}

// Key is ParseKey on the decoded document.
func (d KeyDocument) Key(keyID string) (activitypub.ActorKey, error) {
	return keyIn(d.m, keyID)
}

// Actor is ParseActor on the decoded document.
func (d KeyDocument) Actor(ctx context.Context) (activitypub.Actor, error) {
	return parseActor(ctx, d.m)
}

func keyIn(m map[string]any, keyID string) (activitypub.ActorKey, error) {
	t := typeOf(m)
	if slices.Contains(actorTypes, t) {
		id, _ := m["id"].(string)
		if id == "" {
			return activitypub.ActorKey{}, fmt.Errorf("%w: actor without id", ErrInvalid)
		}
		keys, err := actorKeys(m, id)
		if err != nil {
			return activitypub.ActorKey{}, err
		}
		for _, k := range keys {
			if k.ID == keyID {
				return k, nil
			}
		}
		return activitypub.ActorKey{}, fmt.Errorf("%w: actor %s does not list key %q", ErrInvalid, id, keyID)
	}
	if !slices.Contains(keyTypes, t) {
		return activitypub.ActorKey{}, fmt.Errorf("%w: a %q is neither an actor nor a key", ErrInvalid, t)
	}
	k, err := keyObject(m, "")
	if err != nil {
		return activitypub.ActorKey{}, err
	}
	if k.ID != keyID {
		return activitypub.ActorKey{}, fmt.Errorf("%w: key document has id %q, not %q", ErrInvalid, k.ID, keyID)
	}
	if k.Owner == "" {
		return activitypub.ActorKey{}, fmt.Errorf("%w: key %s names no owner", ErrInvalid, k.ID)
	}
	return k, nil
}

// actorKeys returns the keys an actor document lists: each publicKey entry
// and each Multikey of assertionMethod. A key that names another owner
// than the actor is an error: the document contradicts itself. IRIs
// without the key inline are skipped, as are Multikeys of kinds we cannot
// verify with.
func actorKeys(m map[string]any, actorID string) ([]activitypub.ActorKey, error) {
	var keys []activitypub.ActorKey
	for _, prop := range []string{"publicKey", "assertionMethod"} {
		for _, v := range asList(m[prop]) {
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			k, err := keyObject(obj, actorID)
			if errors.Is(err, errUnsupportedKey) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if k.Owner != actorID {
				return nil, fmt.Errorf("%w: key %s is owned by %s, not %s", ErrInvalid, k.ID, k.Owner, actorID)
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// errUnsupportedKey marks a Multikey of a kind we cannot verify with: it is
// skipped in an actor, refused as a key document.
var errUnsupportedKey = fmt.Errorf("%w: unsupported key", ErrInvalid)

// keyObject reads one key object: id, owner (or a Multikey's controller;
// defaultOwner when neither is given) and its material as PKIX PEM.
func keyObject(m map[string]any, defaultOwner string) (activitypub.ActorKey, error) {
	k := activitypub.ActorKey{Owner: defaultOwner}
	k.ID, _ = m["id"].(string)
	if k.ID == "" {
		return k, fmt.Errorf("%w: key without id", ErrInvalid)
	}
	if o := firstID(m["owner"]); o != "" {
		k.Owner = o
	} else if c := firstID(m["controller"]); c != "" {
		k.Owner = c
	}
	if p, ok := m["publicKeyPem"].(string); ok && p != "" {
		k.PEM = p
		return k, nil
	}
	mb, _ := m["publicKeyMultibase"].(string)
	if mb == "" {
		return k, fmt.Errorf("%w: key %s has neither publicKeyPem nor publicKeyMultibase", ErrInvalid, k.ID)
	}
	pemText, err := multikeyPEM(mb)
	if err != nil {
		return k, fmt.Errorf("key %s: %w", k.ID, err)
	}
	k.PEM = pemText
	return k, nil
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

// Multicodec prefixes (as unsigned varints) of the public keys a Multikey
// may hold that we verify with (multiformats/multicodec table.csv).
var (
	codecEd25519 = []byte{0xed, 0x01} // ed25519-pub, 0xed
	codecRSA     = []byte{0x85, 0x24} // rsa-pub, 0x1205: the key in PKCS #1 DER
)

// maxMultibase bounds a publicKeyMultibase before it is decoded: a 4096-bit
// RSA key is about 740 characters of base58; base58 decoding is quadratic.
const maxMultibase = 2048

// multikeyPEM turns a Multikey's publicKeyMultibase (base58btc, "z"
// prefix) into the PKIX PEM the rest of the companion stores and verifies
// with.
func multikeyPEM(mb string) (string, error) {
	if len(mb) > maxMultibase {
		return "", fmt.Errorf("%w: publicKeyMultibase of %d characters", ErrInvalid, len(mb))
	}
	if len(mb) < 2 || mb[0] != 'z' {
		return "", fmt.Errorf("%w: publicKeyMultibase is not base58btc", errUnsupportedKey)
	}
	raw, err := base58(mb[1:])
	if err != nil {
		return "", err
	}
	var pub any
	switch {
	case len(raw) == len(codecEd25519)+ed25519.PublicKeySize && string(raw[:2]) == string(codecEd25519):
		pub = ed25519.PublicKey(raw[2:])
	case len(raw) > 2 && string(raw[:2]) == string(codecRSA):
		rk, err := x509.ParsePKCS1PublicKey(raw[2:])
		if err != nil {
			return "", fmt.Errorf("%w: rsa multikey: %w", ErrInvalid, err)
		}
		pub = rk
	default:
		return "", fmt.Errorf("%w: multikey codec % x", errUnsupportedKey, raw[:min(2, len(raw))])
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: multikey: %w", ErrInvalid, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 decodes Bitcoin's base58 (base58btc), leading '1's as zero bytes.
func base58(s string) ([]byte, error) {
	n := new(big.Int)
	radix := big.NewInt(58)
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	for i := 0; i < len(s); i++ {
		d := -1
		for j := 0; j < len(base58Alphabet); j++ {
			if base58Alphabet[j] == s[i] {
				d = j
				break
			}
		}
		if d < 0 {
			return nil, fmt.Errorf("%w: %q is not base58", ErrInvalid, s[i])
		}
		n.Mul(n, radix)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}
