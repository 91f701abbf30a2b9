package mail

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// lookupCharset finds a decoder for a MIME charset name. The WHATWG names
// come first because that is what mail clients do: "iso-8859-1" is read
// as Windows-1252, which is what senders labelled that way actually wrote
// (curly quotes and the euro sign included).
func lookupCharset(name string) encoding.Encoding {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
	switch name {
	case "", "us-ascii", "ascii", "utf-8", "utf8", "unicode-1-1-utf-8":
		return nil
	case "latin1", "latin-1":
		return charmap.Windows1252
	}
	if e, err := htmlindex.Get(name); err == nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(name); err == nil && e != nil {
		return e
	}
	return nil
}

// decodeText turns bytes in a declared charset into UTF-8. An unknown
// charset is not fatal: valid UTF-8 is kept as it is and anything else is
// read as Windows-1252, and the problem is reported so the case is flagged.
func decodeText(b []byte, charset string) (string, string) {
	lc := strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"'`))
	e := lookupCharset(lc)
	known := e != nil || lc == "" || lc == "us-ascii" || lc == "ascii" || lc == "utf-8" || lc == "utf8" || lc == "unicode-1-1-utf-8"
	if e != nil {
		out, err := e.NewDecoder().Bytes(b)
		if err == nil {
			return string(out), ""
		}
	}
	if utf8.Valid(b) {
		if !known {
			return string(b), fmt.Sprintf("charset %q sconosciuto: testo letto come UTF-8", charset)
		}
		return string(b), ""
	}
	out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	if !known {
		return string(out), fmt.Sprintf("charset %q sconosciuto: testo letto come Windows-1252", charset)
	}
	if lc == "" || lc == "us-ascii" || lc == "ascii" {
		// 8-bit bytes with no charset: the commonest cause is a Western
		// European client that forgot to say so.
		return string(out), ""
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))), fmt.Sprintf("testo non valido nel charset %s", charset)
}

// wordDecoder decodes RFC 2047 encoded words (=?ISO-8859-1?Q?...?=) in
// headers with every charset x/text knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	e := lookupCharset(charset)
	if e == nil {
		if l := strings.ToLower(charset); l == "utf-8" || l == "us-ascii" || l == "utf8" {
			return input, nil
		}
		return nil, fmt.Errorf("mail: unknown charset %q", charset)
	}
	return e.NewDecoder().Reader(input), nil
}}

// decodeHeader decodes a header value's encoded words; undecodable words
// are kept as they came, and 8-bit bytes sent raw (which RFC 5322 forbids
// but old clients do) are read as Windows-1252 unless they are UTF-8.
func decodeHeader(v string) string {
	if !utf8.ValidString(v) {
		out, _ := charmap.Windows1252.NewDecoder().String(v)
		v = out
	}
	if !strings.Contains(v, "=?") {
		return v
	}
	out, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return out
}
