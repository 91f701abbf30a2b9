package fax

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
	"unicode"
)

// OCR reads the text of a fax with Debian's tesseract and its Italian
// model (packages tesseract-ocr and tesseract-ocr-ita). It is optional:
// without them the fax still becomes a case, just without searchable text.
type OCR struct {
	bin     string
	lang    string
	timeout time.Duration
}

// ErrNoOCR means tesseract or its language data is not installed.
var ErrNoOCR = errors.New("fax: OCR not available (install tesseract-ocr and tesseract-ocr-ita)")

// FindOCR looks for tesseract with the language ("ita"); it returns
// ErrNoOCR, not a failure, when either is missing.
func FindOCR(ctx context.Context, lang string, timeout time.Duration) (*OCR, error) {
	if lang == "" {
		lang = "ita"
	}
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	bin, err := exec.LookPath("tesseract")
	if err != nil {
		return nil, ErrNoOCR
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%w: tesseract --list-langs: %v", ErrNoOCR, err)
	}
	for _, l := range strings.Fields(string(out)) {
		if l == lang {
			return &OCR{bin: bin, lang: lang, timeout: timeout}, nil
		}
	}
	return nil, fmt.Errorf("%w: language %q missing", ErrNoOCR, lang)
}

// Text recognises the text of a TIFF file (every page).
func (o *OCR) Text(ctx context.Context, tiffPath string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, tiffPath, "stdout", "-l", o.lang, "--psm", "3")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("fax: tesseract on %s: %w: %s", tiffPath, err, strings.TrimSpace(stderr.String()))
	}
	return tidyOCR(string(out)), nil
}

// tidyOCR drops form feeds and runs of blank lines tesseract leaves.
func tidyOCR(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\f' {
			return '\n'
		}
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
	var out []string
	blank := 0
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if blank++; blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
