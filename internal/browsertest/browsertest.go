// Package browsertest runs a test's pages in Debian's headless Chromium
// through chromedp, and keeps a screenshot and the HTML of the page a failed
// test ended on.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one call of Do or Run, so a selector that never matches
// fails the test with its name instead of hanging until the test's deadline.
// It is generous because the browser shares a small machine with the rest of
// the test suite.
const stepTimeout = 30 * time.Second

// captureTimeout bounds the screenshot and HTML taken after a failure: the
// page may be the reason the test failed.
const captureTimeout = 15 * time.Second

// Browser is one headless Chromium with one tab, started for one test and
// stopped when the test ends.
type Browser struct {
	tb  TB
	ctx context.Context // the tab's chromedp context; the browser runs while it lives
}

// TB is the part of testing.TB that Start uses; an interface of its own so
// that the failure capture can be tested with a test that reports failure.
type TB interface {
	ArtifactDir() string
	Cleanup(func())
	Fatalf(format string, args ...any)
	Failed() bool
	Helper()
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	TempDir() string
}

// Start starts Chromium for tb with a fresh profile, and stops it when tb
// ends. If tb has failed by then, Start's cleanup saves a screenshot and the
// page's HTML into tb.ArtifactDir() and logs their paths (`go test -artifacts`
// keeps them; otherwise they go with the test's temporary directory).
//
// Without a chromium executable on PATH the test is skipped, unless the
// environment variable CI is set: in CI the browser tests must run.
func Start(tb TB) *Browser {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("browser tests need Debian's chromium package in CI: %v", err)
		}
		tb.Skipf("no chromium to run the browser tests (apt-get install chromium): %v", err)
	}

	var output bytes.Buffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.NoSandbox, // the tests run as root in CI, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// On a closed network Chromium's own connections fail and disturb
		// page loads: the defaults above turn off background networking and
		// sync; these turn off QUIC and component updates.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.CombinedOutput(&output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &Browser{tb: tb, ctx: ctx}
	tb.Cleanup(func() {
		if tb.Failed() {
			b.saveFailure()
		}
		cancelTab()
		cancelAlloc() // waits for Chromium to exit, before its profile directory is removed
	})
	// The first call starts Chromium, and ties it to ctx: it must have no
	// timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start %s: %v\n%s", path, err, output.Bytes())
	}
	return b
}

// Do runs steps in the tab and fails the test on the first error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	Run(b, chromedp.Steps(steps...))
}

// Run runs one action in b's tab and returns its value; it fails the test if
// the action fails or takes longer than stepTimeout.
func Run[T any](b *Browser, a chromedp.Action[T]) T {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.tb.Fatalf("browser: %v (page %s)", err, b.location())
	}
	return v
}

// Open navigates to url and returns the HTTP status of the page it ends on,
// after any redirects.
func (b *Browser) Open(url string) int64 {
	b.tb.Helper()
	return b.Follow(chromedp.Navigate(url))
}

// Follow runs steps that lead to another page, such as a click on a link
// or a form's submission, waits for that page and returns its HTTP status,
// after any redirects.
func (b *Browser) Follow(steps ...chromedp.Action[chromedp.Void]) int64 {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.tb.Fatalf("browser: %v (page %s)", err, b.location())
	}
	return resp.Status
}

// SavePNG writes a screenshot of the whole page to path.
func (b *Browser) SavePNG(path string) {
	b.tb.Helper()
	png := Run(b, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.tb.Fatalf("browser: saving the screenshot: %v", err)
	}
}

// location is the tab's URL for a failure message, or why it is unknown.
func (b *Browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, captureTimeout)
	defer cancel()
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("unknown: %v", err)
	}
	return url
}

// saveFailure keeps the page a failed test ended on, and logs where.
func (b *Browser) saveFailure() {
	screenshot, html, err := b.capture(b.tb.ArtifactDir())
	if err != nil {
		b.tb.Logf("browser: could not keep the page of the failed test: %v", err)
		return
	}
	b.tb.Logf("browser: the failed test ended on %s\n\tscreenshot: %s\n\tHTML: %s", b.location(), screenshot, html)
}

// capture writes a full-page PNG screenshot and the current DOM as HTML into
// a new directory under dir, and returns their paths.
func (b *Browser) capture(dir string) (screenshot, html string, err error) {
	ctx, cancel := context.WithTimeout(b.ctx, captureTimeout)
	defer cancel()
	png, shotErr := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	dom, domErr := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if err := errors.Join(shotErr, domErr); err != nil {
		return "", "", fmt.Errorf("capture the page: %w", err)
	}
	// A directory per browser, so two browsers of one test keep their pages apart.
	dir, err = os.MkdirTemp(dir, "browser-")
	if err != nil {
		return "", "", fmt.Errorf("make a directory for the failed page: %w", err)
	}
	screenshot = filepath.Join(dir, "screenshot.png")
	html = filepath.Join(dir, "page.html")
	if err := os.WriteFile(screenshot, png, 0o644); err != nil {
		return "", "", fmt.Errorf("save the screenshot: %w", err)
	}
	if err := os.WriteFile(html, []byte(dom), 0o644); err != nil {
		return "", "", fmt.Errorf("save the page's HTML: %w", err)
	}
	return screenshot, html, nil
}
