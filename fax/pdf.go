package fax

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
)

// WritePDF writes the pages as a PDF, one image per page at the page's
// real size, so a fax prints and reads as it was sent. Bilevel pages (all
// faxes) are stored at 1 bit per pixel, others in gray or colour, all
// Flate-compressed. It is a minimal PDF 1.4 written by hand: a fax needs
// nothing more, and no dependency is worth it.
func WritePDF(w io.Writer, pages []Page) error {
	if len(pages) == 0 {
		return fmt.Errorf("fax: no pages to write")
	}
	var buf bytes.Buffer
	offsets := []int{0} // object 0 is the free list head
	obj := func(body []byte) int {
		offsets = append(offsets, buf.Len())
		n := len(offsets) - 1
		fmt.Fprintf(&buf, "%d 0 obj\n", n)
		buf.Write(body)
		buf.WriteString("\nendobj\n")
		return n
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects 1 (catalog) and 2 (pages) are written last but numbered
	// first; reserve their slots.
	offsets = append(offsets, 0, 0)
	var kids []int
	for _, p := range pages {
		b := p.Image.Bounds()
		wpx, hpx := b.Dx(), b.Dy()
		raw, cs, bpc := pixels(p.Image)
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
		zw.Write(raw)
		zw.Close()
		img := obj(append([]byte(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "+
			"/BitsPerComponent %d /Filter /FlateDecode /Length %d >>\nstream\n", wpx, hpx, cs, bpc, z.Len())),
			append(z.Bytes(), []byte("\nendstream")...)...))
		wpt, hpt := float64(wpx)/p.XDPI*72, float64(hpx)/p.YDPI*72
		content := fmt.Sprintf("q %s 0 0 %s 0 0 cm /Im0 Do Q", num(wpt), num(hpt))
		cobj := obj([]byte(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)))
		kids = append(kids, obj([]byte(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] "+
			"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", num(wpt), num(hpt), img, cobj))))
	}
	offsets[1] = buf.Len()
	buf.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	offsets[2] = buf.Len()
	var kb bytes.Buffer
	for _, k := range kids {
		fmt.Fprintf(&kb, "%d 0 R ", k)
	}
	fmt.Fprintf(&buf, "2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", bytes.TrimSpace(kb.Bytes()), len(kids))
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets))
	for _, o := range offsets[1:] {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets), xref)
	_, err := w.Write(buf.Bytes())
	return err
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// pixels packs an image for PDF: 1-bit gray when it has only black and
// white, 8-bit gray for gray, 8-bit RGB otherwise.
func pixels(img image.Image) ([]byte, string, int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if g, ok := img.(*image.Gray); ok && bilevel(g) {
		stride := (w + 7) / 8
		out := make([]byte, stride*h)
		for y := 0; y < h; y++ {
			row := g.Pix[(y)*g.Stride : (y)*g.Stride+w]
			o := out[y*stride:]
			for x, v := range row {
				if v >= 128 {
					o[x>>3] |= 0x80 >> (x & 7)
				}
			}
		}
		return out, "/DeviceGray", 1
	}
	if g, ok := img.(*image.Gray); ok {
		out := make([]byte, 0, w*h)
		for y := 0; y < h; y++ {
			out = append(out, g.Pix[y*g.Stride:y*g.Stride+w]...)
		}
		return out, "/DeviceGray", 8
	}
	out := make([]byte, 0, w*h*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out, "/DeviceRGB", 8
}

func bilevel(g *image.Gray) bool {
	for _, v := range g.Pix {
		if v != 0 && v != 0xff {
			return false
		}
	}
	return true
}
