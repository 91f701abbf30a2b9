package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/fax"
	"github.com/ascolto/ascolto/store"
)

// TestRealAsteriskFax: fax machines send a three-page fax, one to the fax
// number and one to the voice number, whose flow hands the caller to fax
// reception. Each sender is a second channel of the same Asterisk running
// SendFAX on a real multi-page TIFF (1728 dots wide, 204x196 dpi, CCITT
// Group 4: what fax/testdata/make-fixtures.sh makes with ImageMagick and
// tiffcp), over G.711 audio; the receiver is the production dialplan's
// ReceiveFAX. Each case appears with the PDF of the three pages, the TIFF,
// and the text OCR read from them, linked to the call's record, which
// names the number dialled.
func TestRealAsteriskFax(t *testing.T) {
	t.Parallel()
	tif, err := filepath.Abs(filepath.Join("..", "..", "fax", "testdata", "fine-g4-3pages.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tiffinfo", tif).CombinedOutput(); err != nil {
		t.Fatalf("tiffinfo: %v %s (apt-get install libtiff-tools)", err, out)
	} else if info := string(out); strings.Count(info, "Image Width: 1728") != 3 || !strings.Contains(info, "CCITT Group 4") ||
		!strings.Contains(info, "Resolution: 204, 196 pixels/inch") {
		t.Fatalf("not a three-page fine fax TIFF:\n%s", info)
	}
	// The fax machines: their own station id and header, dialling as the
	// carrier delivers their calls (test-fax-in sets their numbers).
	dialplan := fmt.Sprintf(`[test-fax-out]
exten => send,1,Set(FAXOPT(localstationid)=+39 0862 970001)
 same => n,Set(FAXOPT(headerinfo)=Comune di Paganica)
 same => n,SendFAX(%s)
exten => h,1,NoOp(test: SendFAX ${FAXSTATUS} ${FAXERROR} pages=${FAXPAGES})
[test-fax-in]
exten => 0862000000,1,Set(CALLERID(all)="Comune di Paganica" <+390862970001>)
 same => n,Goto(from-trunk,${EXTEN},1)
exten => 800840840,1,Set(CALLERID(all)="Comune di Paganica" <+390862970002>)
 same => n,Goto(from-trunk,${EXTEN},1)
`, tif)
	// The voice number's flow sends callers to fax reception at once.
	r := newRealRig(t, rigSpec{Flow: "name: fax\nstart: fax\nnodes:\n  fax:\n    kind: fax\n", Dialplan: dialplan})
	_, ocrErr := fax.FindOCR(context.Background(), "ita", time.Minute)
	if ocrErr != nil {
		t.Fatalf("no OCR on this machine (%v): .ci/install-deps installs tesseract with Italian", ocrErr)
	}
	senders := map[string]string{"+390862970001": "0862000000", "+390862970002": "800840840"}
	for _, number := range senders {
		r.ast.MustCLI("channel originate Local/" + number + "@test-fax-in extension send@test-fax-out")
	}
	var jobs []store.FaxJob
	r.eventually("both faxes received and turned into cases", 4*time.Minute, func() bool {
		var err error
		if jobs, err = r.faxJobs(); err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, j := range jobs {
			if j.CaseID != 0 {
				done++
			}
		}
		return done == 2
	})
	if n := len(regexp.MustCompile(`test: SendFAX SUCCESS .*pages=3`).FindAllString(r.ast.Log(), -1)); n != 2 {
		t.Errorf("%d senders say they sent 3 pages", n)
	}
	for _, job := range jobs {
		t.Run(senders[job.Caller], func(t *testing.T) {
			t.Logf("fax job %+v", job)
			if job.Status != "SUCCESS" || job.Pages != 3 || job.Called != senders[job.Caller] || job.RemoteStation != "+39 0862 970001" ||
				job.CallID == 0 {
				t.Errorf("fax job %+v", job)
			}
			cs, err := r.db.CaseByID(context.Background(), job.CaseID)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Channel != store.ChannelFax || cs.ContactPhone != job.Caller {
				t.Errorf("case %+v", cs)
			}
			if rec := r.record(job.Caller); rec.Outcome != "fax" || rec.Called != senders[job.Caller] || rec.CaseID != cs.ID {
				t.Errorf("call record %+v", rec)
			}
			atts, err := r.db.Attachments(context.Background(), cs.ID)
			if err != nil {
				t.Fatal(err)
			}
			var pdf, tiff []byte
			for _, a := range atts {
				d, err := r.db.AttachmentData(context.Background(), a.ID)
				if err != nil {
					t.Fatal(err)
				}
				switch a.ContentType {
				case "application/pdf":
					pdf = d.Data
				case "image/tiff":
					tiff = d.Data
				}
			}
			if pdf == nil || tiff == nil {
				t.Fatalf("case %s has %+v: want the PDF and the TIFF", cs.TrackingID, atts)
			}
			pdfFile := filepath.Join(t.TempDir(), "fax.pdf")
			os.WriteFile(pdfFile, pdf, 0o600)
			if out, err := exec.Command("pdfinfo", pdfFile).CombinedOutput(); err != nil || !regexp.MustCompile(`(?m)^Pages:\s+3$`).Match(out) {
				t.Errorf("the case's PDF: %v\n%s", err, out)
			}
			tl, err := r.db.Timeline(context.Background(), cs.ID)
			if err != nil || len(tl) == 0 {
				t.Fatalf("timeline: %v %v", tl, err)
			}
			text := tl[0].Content
			if !strings.Contains(text, "3 pagine annunciate, 3 leggibili") || !strings.Contains(text, "al "+senders[job.Caller]) {
				t.Errorf("timeline: %s", text)
			}
			// The three pages' text, as the scan of them reads.
			for _, want := range []string{"PAGANICA", "frana", "Seconda pagina", "Terza pagina", "evacuate"} {
				if !strings.Contains(text, want) {
					t.Errorf("OCR text lacks %q:\n%s", want, text)
				}
			}
			t.Logf("case %s %q, %d characters of OCR text", cs.TrackingID, cs.Summary, len(text))
			if !strings.HasPrefix(cs.Summary, "Fax: COMUNE DI PAGANICA") {
				t.Errorf("summary %q", cs.Summary)
			}
		})
	}
}

// faxJobs lists the fax jobs in the store.
func (r *realRig) faxJobs() ([]store.FaxJob, error) {
	var out []store.FaxJob
	calls, err := r.db.Calls(context.Background(), store.CallFilter{})
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		if j, err := r.db.FaxJobByChannel(context.Background(), c.ChannelID); err == nil {
			out = append(out, j)
		}
	}
	return out, nil
}
