// Command login sends n sign-ins at once to a running ascolto console, each
// from its own browser (cookie jar) and its own X-Forwarded-For address (so
// the per-address throttle does not answer first: run serve with
// --console-trusted-proxies 127.0.0.1), for unknown usernames, and prints how
// they were answered and how long they took. With -pid it also prints the
// service's resident memory before and its peak (VmHWM) after.
//
//	ascolto serve --data-dir /tmp/d --http-addr 127.0.0.1:18080 --console-trusted-proxies 127.0.0.1 &
//	go run ./bench/login -url http://127.0.0.1:18080 -n 50 -pid $!
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type browser struct {
	c    *http.Client
	form url.Values
	xff  string
}

func main() {
	base := flag.String("url", "http://127.0.0.1:18080", "the console")
	n := flag.Int("n", 50, "sign-ins at once")
	pid := flag.Int("pid", 0, "the service's process id, to read its memory from /proc (0: don't)")
	flag.Parse()

	bs := make([]browser, *n)
	for i := range bs {
		b, err := open(*base, i)
		if err != nil {
			log.Fatal(err)
		}
		bs[i] = b
	}
	before := memKB(*pid, "VmRSS")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := time.Now()
	for _, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := b.signIn(*base)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("%d sign-ins at once in %s; answers by status (0 = no answer): %v\n", *n, time.Since(start).Round(time.Millisecond), codes)
	if *pid != 0 {
		fmt.Printf("service RSS before %d MB, peak %d MB\n", before/1024, memKB(*pid, "VmHWM")/1024)
	}
}

// open loads the sign-in page as browser i, keeping its cookie and CSRF token.
func open(base string, i int) (browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return browser{}, err
	}
	c := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	xff := fmt.Sprintf("198.51.%d.%d", i/250, i%250+1)
	req, err := http.NewRequest("GET", base+"/login", nil)
	if err != nil {
		return browser{}, err
	}
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := c.Do(req)
	if err != nil {
		return browser{}, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return browser{}, err
	}
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return browser{}, fmt.Errorf("no CSRF token on %s/login (status %d)", base, resp.StatusCode)
	}
	form := url.Values{"csrf": {string(m[1])}, "username": {"nessuno" + strconv.Itoa(i)}, "password": {"una-password-sbagliata"}}
	return browser{c: c, form: form, xff: xff}, nil
}

func (b browser) signIn(base string) int {
	req, err := http.NewRequest("POST", base+"/login", strings.NewReader(b.form.Encode()))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", b.xff)
	resp, err := b.c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// memKB reads one memory line (VmRSS, VmHWM) of a process, in kB.
func memKB(pid int, field string) int {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}
