package console

import (
	"context"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// jsErrors collects the page's uncaught exceptions and console.error calls
// from now on; the returned func lists them.
func (b *tab) jsErrors() func() []string {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel)
	var mu sync.Mutex
	var got []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				mu.Lock()
				got = append(got, m.String())
				mu.Unlock()
			}
		}
	}()
	// Subscribed when Console returned; a round trip makes sure the tab
	// exists so nothing after this point is missed.
	b.do(chromedp.Evaluate[chromedp.Void]("0"))
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// axeSource finds axe-core: $ASCOLTO_TEST_AXE, or an npm install of it in
// /tmp/axe (npm install --prefix /tmp/axe axe-core).
func axeSource() []byte {
	for _, p := range []string{os.Getenv("ASCOLTO_TEST_AXE"), "/tmp/axe/node_modules/axe-core/axe.min.js"} {
		if p == "" {
			continue
		}
		if src, err := os.ReadFile(p); err == nil {
			return src
		}
	}
	return nil
}

// axe runs axe-core on the page and fails on any critical or serious
// violation; without axe-core at hand it says so and checks nothing.
func (b *tab) axe(page string) {
	b.t.Helper()
	src := axeSource()
	if src == nil {
		b.t.Logf("axe-core not found (set ASCOLTO_TEST_AXE): %s not audited", page)
		return
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](string(src)+"\n;0")); err != nil {
		b.t.Fatalf("load axe-core: %v", err)
	}
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.filter(v => v.impact === "critical" || v.impact === "serious")
			.map(v => v.impact + " " + v.id + ": " + v.nodes.map(n => n.target.join(" ")).slice(0, 5).join(", ")))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", page, err)
	}
	if len(found) > 0 {
		b.t.Fatalf("axe on %s: %d critical or serious violations:\n%s", page, len(found), strings.Join(found, "\n"))
	}
	b.t.Logf("axe on %s: 0 critical, 0 serious", page)
}
