package intake

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store/storetest"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The form once in a real browser: Debian's chromium, headless, on a
// phone-sized screen, with the type-ahead and without JavaScript. The test
// skips when no browser is installed (apt-get install chromium).
// Screenshots go to $ASCOLTO_TEST_ARTIFACTS or $TMPDIR/ascolto-form-screenshots.
func TestFormInHeadlessBrowser(t *testing.T) {
	chromium := os.Getenv("ASCOLTO_TEST_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no browser at %s: browser test skipped", chromium)
	}
	shots := os.Getenv("ASCOLTO_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "ascolto-form-screenshots")
	}
	os.MkdirAll(shots, 0o755)
	db := storetest.SQLite(t)
	r := newRig(t, db, Options{})

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(browser, 90*time.Second)
	defer cancelT()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), png, 0o644)
		})
	}
	text := func(ctx context.Context, sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(r.srv.URL+"/segnalazione"),
		chromedp.WaitVisible(chromedp.CSS(`#f-descrizione`)),
		shot("form-phone.jpg"),
		chromedp.SetValue(chromedp.CSS(`#f-categoria`), "idraulico"),
		chromedp.SendKeys(chromedp.CSS(`#f-descrizione`), "La cantina è allagata da stamattina, l'acqua continua a salire."),
		chromedp.SendKeys(chromedp.CSS(`#f-comune`), "l'aquil"),
		chromedp.WaitVisible(chromedp.CSS(`#comune-suggestions li`)),
	); err != nil {
		t.Fatal(err)
	}
	suggestion := text(ctx, `#comune-suggestions li`)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#comune-suggestions li`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "anna@example.it"),
		chromedp.Click(chromedp.CSS(`#f-consenso`)),
		chromedp.Click(chromedp.CSS(`button.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#tracking-id`)),
		shot("done-phone.jpg"),
	); err != nil {
		t.Fatal(err)
	}
	tracking := text(ctx, `#tracking-id`)
	c, err := db.CaseByTrackingID(bg, tracking)
	if err != nil || c.ComuneCode != "066049" || c.Category != "idraulico" || !strings.HasPrefix(suggestion, "L'Aquila") {
		t.Fatalf("case %+v %v (suggestion %q)", c, err, suggestion)
	}

	// Without JavaScript: the province select leads to the comune.
	noJS, cancelN := chromedp.NewContext(browser)
	defer cancelN()
	noJS, cancelN2 := context.WithTimeout(noJS, 60*time.Second)
	defer cancelN2()
	if err := chromedp.Do(noJS,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(r.srv.URL+"/segnalazione?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`#f-descrizione`)),
		chromedp.SetValue(chromedp.CSS(`#f-categoria`), "meteo-avverso"),
		chromedp.SendKeys(chromedp.CSS(`#f-descrizione`), "A tree fell on the road after the storm."),
		chromedp.Click(chromedp.CSS(`details.nojs-provincia summary`)),
		chromedp.SetValue(chromedp.CSS(`#f-provincia`), "AQ"),
		chromedp.Click(chromedp.CSS(`button[name=azione]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-comune-pick`)),
		chromedp.SetValue(chromedp.CSS(`#f-comune-pick`), "066066"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "tourist@example.com"),
		chromedp.Click(chromedp.CSS(`#f-consenso`)),
		shot("form-nojs-en.jpg"),
		chromedp.Click(chromedp.CSS(`button.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#tracking-id`)),
	); err != nil {
		t.Fatal(err)
	}
	tracking2 := text(noJS, `#tracking-id`)
	c2, err := db.CaseByTrackingID(bg, tracking2)
	if err != nil || c2.ComuneCode != "066066" || c2.ContactEmail != "tourist@example.com" {
		t.Fatalf("no-JS case %+v %v", c2, err)
	}
	outs, _ := db.OutboxByCase(bg, c2.ID)
	if len(outs) != 1 || !strings.Contains(outs[0].Subject, "We have received your report") {
		t.Fatalf("English acknowledgement %+v", outs)
	}
	t.Logf("screenshots in %s", shots)
}
