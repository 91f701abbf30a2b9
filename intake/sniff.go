package intake

import "bytes"

// fileKind is what an uploaded file is, judged by its bytes.
type fileKind struct {
	ContentType string
	Ext         string
}

// sniff identifies the photos and documents the form accepts by their
// magic bytes, never by their name or the browser's word: a "foto.pdf"
// that starts with MZ is a Windows program and is refused. It returns
// false for anything else.
func sniff(b []byte) (fileKind, bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return fileKind{"image/jpeg", ".jpg"}, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return fileKind{"image/png", ".png"}, true
	case len(b) >= 12 && bytes.Equal(b[0:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return fileKind{"image/webp", ".webp"}, true
	case len(b) >= 12 && bytes.Equal(b[4:8], []byte("ftyp")) && isHEIF(b[8:12]):
		return fileKind{"image/heic", ".heic"}, true
	case bytes.HasPrefix(b, []byte("%PDF-")):
		// A real PDF ends with %%EOF (possibly followed by white space or
		// an incremental update's trailer); a file that only starts like a
		// PDF is refused.
		tail := b[max(0, len(b)-2048):]
		if !bytes.Contains(tail, []byte("%%EOF")) {
			return fileKind{}, false
		}
		return fileKind{"application/pdf", ".pdf"}, true
	}
	return fileKind{}, false
}

// isHEIF recognises the brands phones write for HEIC/HEIF photos.
func isHEIF(brand []byte) bool {
	switch string(brand) {
	case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
		return true
	}
	return false
}
