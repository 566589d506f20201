package main

import (
	"context"
	"flag"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/launchgate/launchgate/internal/browsertest"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/server"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "TestPagesInBrowser writes the board and a details page to docs/board.png and docs/pull.png, for README")

// TestPagesInBrowser drives the pages of `launchgate demo --web` (serve's
// wiring, the simulator's GitHub, a SQLite store) in headless Chromium, as
// people use them: by the sign-in, the mouse and the keyboard.
func TestPagesInBrowser(t *testing.T) {
	d := startDemoWeb(t)

	t.Run("a member filters the board by keyboard, opens a launch and follows a finding", func(t *testing.T) {
		b := browsertest.Start(t)
		simWeb := signIn(t, b, d.board, d.login)
		if status, loc := b.Open(d.board), location(b); status != http.StatusOK || loc != d.board {
			t.Fatalf("signed in as %s, the board answered %d at %s, want 200 at %s", d.login, status, loc, d.board)
		}
		rows := openLaunches(b)
		if got := rows["acme/payments#1"]; got.waiting != "infra, security yours" || got.failing == "none" {
			t.Errorf("acme/payments#1 on the board: %+v, want failing requirements and waiting for infra and security (yours)", got)
		}
		// Its kit complete and security's part done, it fails nothing and
		// waits for infra's sign-offs alone.
		if got := rows["acme/orders#2"]; got.waiting != "infra" || got.failing != "none" {
			t.Errorf("acme/orders#2 on the board: %+v, want no requirement failing, waiting for infra alone", got)
		}
		if *updateScreenshots {
			b.SavePNG(filepath.Join("..", "..", "docs", "board.png"))
		}

		// The filter by keyboard alone: tab to the checkbox, tick it with
		// the space bar, tab to the form's button and press Enter.
		tabTo(t, b, "#mine")
		b.Do(chromedp.KeyEvent(" "))
		tabTo(t, b, "form.filters button")
		if status := b.Follow(chromedp.KeyEvent(kb.Enter)); status != http.StatusOK {
			t.Fatalf("the filtered board answered %d", status)
		}
		if loc := location(b); !strings.Contains(loc, "mine=1") {
			t.Errorf("the filter led to %s, want mine=1 in the query", loc)
		}
		if !browsertest.Run(b, chromedp.Evaluate[bool](`document.getElementById("mine").checked`)) {
			t.Error("the filtered board's checkbox is not ticked")
		}
		rows = openLaunches(b)
		if _, ok := rows["acme/payments#1"]; !ok || len(rows) != 1 {
			t.Errorf("waiting for %s's teams, the board lists %v, want acme/payments#1 alone (acme/orders#2 waits for infra)", d.login, rows)
		}

		// Opened from the keyboard too. (A synthetic click lands on the
		// centre of the link's first box, its 1-pixel visually-hidden
		// "Details of", which is not clickable.)
		details := chromedp.CSS(`a[href="/acme/payments/pull/1"]`)
		if status := b.Follow(chromedp.Focus(details), chromedp.KeyEvent(kb.Enter)); status != http.StatusOK {
			t.Fatalf("the details page answered %d", status)
		}
		if h1 := browsertest.Run(b, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Launch the payments service") {
			t.Errorf("the details page's heading is %q", h1)
		}
		if *updateScreenshots {
			b.SavePNG(filepath.Join("..", "..", "docs", "pull.png"))
		}
		followFinding(t, b, simWeb)
	})

	t.Run("a member reads a launch record that verifies", func(t *testing.T) {
		b := browsertest.Start(t)
		signIn(t, b, d.board, d.login)
		if status := b.Follow(chromedp.Click(chromedp.CSS(`a[href="/orgs/acme/records/orders-1"]`))); status != http.StatusOK {
			t.Fatalf("the record page answered %d", status)
		}
		if verdict := browsertest.Run(b, chromedp.Text(chromedp.CSS(".verdict"))); !strings.HasPrefix(verdict, "Signature verifies") {
			t.Errorf("the record page says %q, want that its signature verifies", verdict)
		}
		// The page's raw JSON is the signed line itself: it verifies with
		// the key the App publishes.
		raw := browsertest.Run(b, chromedp.TextContent(chromedp.CSS("pre.raw")))
		pub, err := launchrecord.ParsePublicKey([]byte(get(t, http.DefaultClient, d.pages+server.RecordsPublicKeyPath).body))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := launchrecord.Verify(pub, []byte(strings.TrimSpace(raw)))
		if err != nil {
			t.Fatalf("the record page's JSON does not verify with the App's public key: %v\n%s", err, raw)
		}
		if rec.Repo != "acme/orders" || rec.PR != 1 || rec.Bypassed {
			t.Errorf("the record is of %s#%d (bypassed %v), want acme/orders#1 through the gate", rec.Repo, rec.PR, rec.Bypassed)
		}
	})

	t.Run("an outsider gets 404 for the board and for a private repository's launch", func(t *testing.T) {
		b := browsertest.Start(t)
		if status, _ := signInAs(t, b, d.board, "eve"); status != http.StatusNotFound || location(b) != d.board {
			t.Errorf("eve, outside acme, signed in and got %d at %s, want 404 for the board %s", status, location(b), d.board)
		}
		if header := browsertest.Run(b, chromedp.Text(chromedp.CSS("header"))); !strings.Contains(header, "Signed in as eve") {
			t.Errorf("the 404 page's header %q does not show eve signed in: the 404 must come from the access check, not a failed sign-in", header)
		}
		private := notFoundText(t, b, d.pages+"/acme/payments/pull/1")
		missing := notFoundText(t, b, d.pages+"/acme/no-such-repo/pull/1")
		if private != missing {
			t.Errorf("the 404 for a private repository differs from the 404 for none, which reveals that it exists:\n%s\n---\n%s", private, missing)
		}
	})

	t.Run("a tampered session cookie counts as signed out", func(t *testing.T) {
		b := browsertest.Start(t)
		signIn(t, b, d.board, d.login)
		session := sessionCookie(t, b)
		if !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax || session.Path != "/" {
			t.Errorf("session cookie: HttpOnly %v, SameSite %q, Path %q; want HttpOnly, Lax, /", session.HTTPOnly, session.SameSite, session.Path)
		}
		setSession := func(value string) {
			browsertest.Run(b, func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
				return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
					Name: session.Name, Value: value, URL: d.pages + "/", Path: session.Path,
					HTTPOnly: &session.HTTPOnly, SameSite: session.SameSite,
				})
			})
		}
		tampered := []byte(session.Value)
		i := len(tampered) / 2
		tampered[i] = map[bool]byte{true: 'B', false: 'A'}[tampered[i] == 'A']
		setSession(string(tampered))
		b.Open(d.board)
		if h1 := browsertest.Run(b, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Sign in to GitHub") {
			t.Errorf("with a tampered cookie the board led to %s (%q), want the sign-in", location(b), h1)
		}
		// The cookie as it was still serves: it was the change that counted.
		setSession(session.Value)
		if status, loc := b.Open(d.board), location(b); status != http.StatusOK || loc != d.board {
			t.Errorf("with the cookie restored the board answered %d at %s, want 200 at %s", status, loc, d.board)
		}
	})

	t.Run("a form without its CSRF token is refused", func(t *testing.T) {
		b := browsertest.Start(t)
		signIn(t, b, d.board, d.login)
		b.Do(chromedp.Evaluate[chromedp.Void](`document.querySelector("form.logout input[name=csrf_token]").remove()`))
		if status := b.Follow(chromedp.Click(chromedp.CSS("form.logout button"))); status != http.StatusForbidden {
			t.Errorf("signing out without the CSRF token answered %d, want 403", status)
		}
		if status, loc := b.Open(d.board), location(b); status != http.StatusOK || loc != d.board {
			t.Errorf("after the refused sign-out the board answered %d at %s, want still signed in", status, loc)
		}
		// With its token the same form signs out.
		b.Follow(chromedp.Click(chromedp.CSS("form.logout button")))
		b.Open(d.board)
		if h1 := browsertest.Run(b, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Sign in to GitHub") {
			t.Errorf("after signing out the board led to %s (%q), want the sign-in", location(b), h1)
		}
	})
}

// signIn signs in as login from page, and fails unless it ends on page.
// It returns the simulated GitHub's web URL.
func signIn(t *testing.T, b *browsertest.Browser, page, login string) string {
	t.Helper()
	status, simWeb := signInAs(t, b, page, login)
	if loc := location(b); status != http.StatusOK || loc != page {
		t.Fatalf("signing in as %s ended on %s (%d), want %s", login, loc, status, page)
	}
	return simWeb
}

// signInAs opens page signed out, which leads to the simulated GitHub's
// sign-in, and signs in there as login. It returns the status of the page
// it ends on and the simulated GitHub's web URL.
func signInAs(t *testing.T, b *browsertest.Browser, page, login string) (int64, string) {
	t.Helper()
	b.Open(page)
	if h1 := browsertest.Run(b, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Sign in to GitHub") {
		t.Fatalf("signed out, %s led to %s (%q), want the simulated GitHub's sign-in", page, location(b), h1)
	}
	u, err := url.Parse(location(b))
	if err != nil {
		t.Fatal(err)
	}
	// Typed, then Enter, as a person signs in.
	status := b.Follow(chromedp.SendKeys(chromedp.ID("login"), login+"\n"))
	return status, u.Scheme + "://" + u.Host
}

func location(b *browsertest.Browser) string {
	return browsertest.Run(b, chromedp.Location())
}

// launchRow is a row of the board's open launch PRs, as shown.
type launchRow struct{ failing, waiting string }

// openLaunches reads the board's open launch PRs by "owner/repo#n".
func openLaunches(b *browsertest.Browser) map[string]launchRow {
	cells := browsertest.Run(b, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("section[aria-labelledby=open] tbody tr")].map(
		tr => [...tr.children].map(c => c.textContent.replace(/\s+/g, " ").trim()))`))
	pr := regexp.MustCompile(`\S+/\S+#\d+`)
	rows := map[string]launchRow{}
	for _, c := range cells {
		if len(c) == 5 {
			rows[pr.FindString(c[0])] = launchRow{failing: c[2], waiting: c[3]}
		}
	}
	return rows
}

// tabTo presses Tab until the element selector matches has the focus.
func tabTo(t *testing.T, b *browsertest.Browser, selector string) {
	t.Helper()
	focused := `document.activeElement.matches(` + strconv.Quote(selector) + `)`
	for range 40 {
		b.Do(chromedp.KeyEvent(kb.Tab))
		if browsertest.Run(b, chromedp.Evaluate[bool](focused)) {
			return
		}
	}
	t.Fatalf("40 presses of Tab never reached %s", selector)
}

// followFinding checks that the details page links a finding to its file
// and line at the head commit on the simulated GitHub, and follows it.
func followFinding(t *testing.T, b *browsertest.Browser, simWeb string) {
	t.Helper()
	head := browsertest.Run(b, chromedp.Text(chromedp.CSS(`dd a[href*="/commit/"] code`)))
	links := browsertest.Run(b, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("ul.findings a")].map(a => [a.getAttribute("href"), a.textContent])`))
	var href string
	for _, l := range links {
		path, line, ok := strings.Cut(l[1], ":")
		if ok && regexp.MustCompile(`^\d+$`).MatchString(line) {
			if want := simWeb + "/acme/payments/blob/" + head + "/" + path + "#L" + line; l[0] != want {
				t.Errorf("finding %s links to %s, want %s", l[1], l[0], want)
			}
			href = l[0]
			break
		}
	}
	if href == "" {
		t.Fatalf("no finding of acme/payments#1 links to a file and line; links: %q", links)
	}
	b.Follow(chromedp.Click(chromedp.CSS(`ul.findings a[href="` + href + `"]`)))
	if loc := location(b); loc != href {
		t.Errorf("following the finding's link led to %s, want %s", loc, href)
	}
}

// notFoundText opens u, fails unless it is a 404, and returns its text.
func notFoundText(t *testing.T, b *browsertest.Browser, u string) string {
	t.Helper()
	if status := b.Open(u); status != http.StatusNotFound {
		t.Errorf("%s answered %d, want 404", u, status)
	}
	return browsertest.Run(b, chromedp.Text(chromedp.CSS("main")))
}

// sessionCookie is the pages' session cookie in b.
func sessionCookie(t *testing.T, b *browsertest.Browser) *network.Cookie {
	t.Helper()
	res := browsertest.Run(b, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
	})
	for _, c := range res.Cookies {
		if c.Name == "launchgate_session" {
			return c
		}
	}
	t.Fatalf("no launchgate_session cookie after signing in; cookies: %v", res.Cookies)
	return nil
}
