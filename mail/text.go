package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/ascolto/ascolto/store"
)

// Text from a sender is cleaned at the edge, before anything is stored,
// with store.CleanLine and store.CleanText (the form does the same):
// PostgreSQL refuses NUL bytes and invalid UTF-8 (a message carrying them
// was answered 451 for ever), and SQLite, which takes them, must store the
// same thing. What is mail's own is here: addresses and Message-IDs.

// cleanAddress cleans an email address; one longer than SMTP allows (254)
// is no address.
func cleanAddress(s string) string {
	s = strings.ReplaceAll(store.CleanLine(s), " ", "")
	if len(s) > 254 {
		return ""
	}
	return s
}

// cleanID keeps a Message-ID usable as a key: printable ASCII of a sane
// length is kept as it is; anything else (control bytes, 8-bit bytes, an
// id longer than an index can hold) is replaced by a digest of itself, the
// same for every message that names it, so threading still works.
func cleanID(id string) string {
	if len(id) <= 250 {
		ok := true
		for i := 0; i < len(id); i++ {
			if c := id[i]; c <= 0x20 || c >= 0x7f || c == '<' || c == '>' {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	sum := sha256.Sum256([]byte(id))
	return "id-" + hex.EncodeToString(sum[:16]) + "@ascolto.invalid"
}
