package site

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/cespare/xxhash/v2"
)

// digestSeed seeds the second half of a digest, so that its two halves are
// independent sums.
const digestSeed = 0x636f686f7274 // "cohort"

// digest is the 128-bit digest, hex-encoded, that build keys and the records
// of output files use: two 64-bit xxHash sums of b, the second seeded. It is
// not a cryptographic hash, and needs not be: what is hashed is the course's
// own text, which nobody shapes to make two keys collide. SHA-256 before it
// was most of the cost of hashing ten thousand small keys in a one-edit build.
func digest(b []byte) string {
	var d xxhash.Digest
	d.ResetWithSeed(digestSeed)
	d.Write(b)
	var sum [16]byte
	binary.BigEndian.PutUint64(sum[:8], xxhash.Sum64(b))
	binary.BigEndian.PutUint64(sum[8:], d.Sum64())
	return hex.EncodeToString(sum[:])
}
