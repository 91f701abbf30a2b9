package fax

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/image/tiff"
)

// Page is one decoded fax page with its resolution, which for faxes is
// often not square (204 × 98 dpi in "standard" mode).
type Page struct {
	Image      image.Image
	XDPI, YDPI float64
}

// maxPages bounds what one file may claim, so a hostile TIFF cannot make
// the decoder loop.
const maxPages = 200

// DecodeTIFF decodes every page of a (multi-page) TIFF as fax machines and
// Asterisk's ReceiveFAX write it: CCITT Group 3/4, bilevel, one IFD per
// page. It returns the pages it could decode and, if some could not be,
// an error saying which: a partial fax is still worth keeping.
func DecodeTIFF(data []byte) ([]Page, error) {
	ifds, order, err := ifdOffsets(data)
	if len(ifds) == 0 {
		return nil, err
	}
	var pages []Page
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if needsRecoding(data, ifds, order) {
		// Group 3 with two-dimensional rows or fill bits, as spandsp writes
		// what a fax machine sent: golang.org/x/image reads neither, so
		// libtiff recodes the file as Group 4 first.
		recoded, rerr := recodeG4(data)
		if rerr != nil {
			return nil, fmt.Errorf("fax: Group 3 two-dimensional pages: %w", rerr)
		}
		if rifds, rorder, rerr := ifdOffsets(recoded); len(rifds) == len(ifds) {
			data, ifds, order = recoded, rifds, rorder
			if rerr != nil {
				errs = append(errs, rerr)
			}
		}
	}
	for i, off := range ifds {
		img, err := tiff.Decode(io.NewSectionReader(&pageReader{data: data, ifd: off, order: order}, 0, int64(len(data))))
		if err != nil {
			errs = append(errs, fmt.Errorf("pagina %d: %w", i+1, err))
			continue
		}
		x, y := resolution(data, off, order)
		pages = append(pages, Page{Image: img, XDPI: x, YDPI: y})
	}
	if len(errs) > 0 {
		return pages, fmt.Errorf("fax: %d pages decoded, some missing: %w", len(pages), errors.Join(errs...))
	}
	return pages, nil
}

// ifdOffsets walks the chain of image file directories: one per page.
func ifdOffsets(data []byte) ([]uint32, binary.ByteOrder, error) {
	if len(data) < 8 {
		return nil, nil, errors.New("fax: not a TIFF file (too short)")
	}
	var order binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return nil, nil, errors.New("fax: not a TIFF file")
	}
	var out []uint32
	seen := map[uint32]bool{}
	off := order.Uint32(data[4:8])
	for off != 0 {
		if seen[off] || len(out) >= maxPages {
			return out, order, errors.New("fax: TIFF directory chain loops or is too long")
		}
		if int64(off)+2 > int64(len(data)) {
			if len(out) == 0 {
				return nil, nil, errors.New("fax: TIFF directory outside the file (truncated?)")
			}
			return out, order, fmt.Errorf("fax: file truncated after page %d", len(out))
		}
		seen[off] = true
		n := int64(order.Uint16(data[off:]))
		next := int64(off) + 2 + n*12
		if next+4 > int64(len(data)) {
			if len(out) == 0 {
				return nil, nil, errors.New("fax: TIFF directory cut short (truncated?)")
			}
			return out, order, fmt.Errorf("fax: file truncated after page %d", len(out))
		}
		out = append(out, off)
		off = order.Uint32(data[next:])
	}
	if len(out) == 0 {
		return nil, nil, errors.New("fax: TIFF without pages")
	}
	return out, order, nil
}

// pageReader presents the file with its header pointing at one page's
// directory, so the single-image decoder reads that page.
type pageReader struct {
	data  []byte
	ifd   uint32
	order binary.ByteOrder
}

func (p *pageReader) ReadAt(b []byte, off int64) (int, error) {
	if off >= int64(len(p.data)) {
		return 0, io.EOF
	}
	n := copy(b, p.data[off:])
	// Patch bytes 4..7 (the first-IFD offset) where they fall in b.
	var hdr [4]byte
	p.order.PutUint32(hdr[:], p.ifd)
	for i := int64(4); i < 8; i++ {
		if i >= off && i < off+int64(n) {
			b[i-off] = hdr[i-4]
		}
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// resolution reads XResolution/YResolution (in dpi) of a page; faxes
// without them are assumed fine mode, 204 × 196.
func resolution(data []byte, ifd uint32, order binary.ByteOrder) (float64, float64) {
	x, y, unit := 204.0, 196.0, uint16(2)
	n := int(order.Uint16(data[ifd:]))
	for i := 0; i < n; i++ {
		e := int64(ifd) + 2 + int64(i)*12
		if e+12 > int64(len(data)) {
			break
		}
		tag, typ := order.Uint16(data[e:]), order.Uint16(data[e+2:])
		switch tag {
		case 282, 283: // X/YResolution, RATIONAL
			if typ != 5 {
				continue
			}
			vo := int64(order.Uint32(data[e+8:]))
			if vo+8 > int64(len(data)) {
				continue
			}
			num, den := order.Uint32(data[vo:]), order.Uint32(data[vo+4:])
			if den == 0 || num == 0 {
				continue
			}
			if tag == 282 {
				x = float64(num) / float64(den)
			} else {
				y = float64(num) / float64(den)
			}
		case 296: // ResolutionUnit: 2 inch, 3 centimetre
			unit = order.Uint16(data[e+8:])
		}
	}
	if unit == 3 {
		x, y = x*2.54, y*2.54
	}
	if x < 20 || x > 2400 {
		x = 204
	}
	if y < 20 || y > 2400 {
		y = 196
	}
	return x, y
}

// isTIFF reports whether the bytes start like a TIFF.
func isTIFF(b []byte) bool {
	return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
}

// TIFF tags that say how a page is coded.
const (
	tagCompression = 259
	tagT4Options   = 292
)

// needsRecoding reports whether a page is Group 3 with two-dimensional
// coding (T4Options bit 0) or fill bits before EOLs (bit 2).
func needsRecoding(data []byte, ifds []uint32, order binary.ByteOrder) bool {
	for _, off := range ifds {
		if t4 := tagValues(data, off, order, tagT4Options); tagValue(data, off, order, tagCompression) == 3 && len(t4) == 1 && t4[0]&5 != 0 {
			return true
		}
	}
	return false
}

// Tiffcp is libtiff's tiffcp (Debian's libtiff-tools), which recodes the
// faxes golang.org/x/image cannot read; like tesseract for OCR, without it
// such a fax is kept as its TIFF only, flagged undecodable.
var Tiffcp = "tiffcp"

// recodeG4 has libtiff rewrite a TIFF with every page in Group 4.
func recodeG4(data []byte) ([]byte, error) {
	bin, err := exec.LookPath(Tiffcp)
	if err != nil {
		return nil, fmt.Errorf("libtiff's tiffcp is needed to read them (Debian: libtiff-tools): %w", err)
	}
	dir, err := os.MkdirTemp("", "ascolto-fax")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.tif"), filepath.Join(dir, "out.tif")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, bin, "-c", "g4", in, out).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tiffcp: %v: %s", err, bytes.TrimSpace(msg))
	}
	return os.ReadFile(out)
}

// tagValue is a tag's first value (0 when absent).
func tagValue(data []byte, ifd uint32, order binary.ByteOrder, tag uint16) uint32 {
	if v := tagValues(data, ifd, order, tag); len(v) > 0 {
		return v[0]
	}
	return 0
}

// tagValues reads a SHORT or LONG tag of a directory (nil when absent or
// malformed).
func tagValues(data []byte, ifd uint32, order binary.ByteOrder, tag uint16) []uint32 {
	if int64(ifd)+2 > int64(len(data)) {
		return nil
	}
	n := int(order.Uint16(data[ifd:]))
	for i := 0; i < n; i++ {
		e := int64(ifd) + 2 + int64(i)*12
		if e+12 > int64(len(data)) {
			return nil
		}
		if order.Uint16(data[e:]) != tag {
			continue
		}
		typ, count := order.Uint16(data[e+2:]), int64(order.Uint32(data[e+4:]))
		size := int64(4)
		if typ == 3 {
			size = 2
		} else if typ != 4 {
			return nil
		}
		if count <= 0 || count > maxPages*1000 {
			return nil
		}
		at := e + 8
		if count*size > 4 {
			at = int64(order.Uint32(data[e+8:]))
		}
		if at+count*size > int64(len(data)) {
			return nil
		}
		out := make([]uint32, count)
		for j := range out {
			if size == 2 {
				out[j] = uint32(order.Uint16(data[at+int64(j)*2:]))
			} else {
				out[j] = order.Uint32(data[at+int64(j)*4:])
			}
		}
		return out
	}
	return nil
}
