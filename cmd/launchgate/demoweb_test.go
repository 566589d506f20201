package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demoWeb is `launchgate demo --web 127.0.0.1:0` running for a test: the
// story played, its pending launches open, the pages served.
type demoWeb struct {
	// board is the URL the demo printed; pages the pages' base URL.
	board, pages string
	// login is the demo user the demo told to sign in as.
	login string
	out   *lockedBuffer // everything the demo printed
}

var (
	boardLine = regexp.MustCompile(`(?m)^board: (http://127\.0\.0\.1:\d+)(/orgs/acme)$`)
	loginLine = regexp.MustCompile(`(?m)^sign in to the simulated GitHub as: (\S+) `)
)

// startDemoWeb runs the demo with --web until the test ends, and checks
// then that it stopped cleanly and stopped serving.
func startDemoWeb(t *testing.T) *demoWeb {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out := &lockedBuffer{}
	var stderr lockedBuffer
	exited := make(chan int, 1)
	go func() {
		code := playDemo(ctx, demoOptions{web: "127.0.0.1:0"}, pw, &stderr)
		pw.Close()
		exited <- code
	}()
	// The printed lines, as a person would read them; the board's line
	// comes once the pages serve.
	printed := make(chan *demoWeb, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.Write(append(sc.Bytes(), '\n'))
			text := out.String()
			if m := boardLine.FindStringSubmatch(text); m != nil {
				if l := loginLine.FindStringSubmatch(text); l != nil {
					select {
					case printed <- &demoWeb{board: m[1] + m[2], pages: m[1], login: l[1], out: out}:
					default:
					}
				}
			}
		}
	}()
	var d *demoWeb
	select {
	case d = <-printed:
	case code := <-exited:
		cancel()
		t.Fatalf("demo --web exited %d before serving the pages\nstdout:\n%s\nstderr:\n%s", code, out.String(), stderr.String())
	case <-time.After(3 * time.Minute):
		cancel()
		t.Fatalf("demo --web printed no board URL within 3 minutes\nstdout:\n%s\nstderr:\n%s", out.String(), stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("demo --web exited %d when interrupted\nstderr:\n%s", code, stderr.String())
			}
		case <-time.After(time.Minute):
			t.Errorf("demo --web did not stop within a minute of its interruption")
			return
		}
		if resp, err := http.Get(d.board); err == nil {
			resp.Body.Close()
			t.Errorf("after the demo stopped, %s still answers %s", d.board, resp.Status)
		}
	})
	return d
}

// TestDemoWeb runs `launchgate demo --web` as a newcomer would: the URL it
// prints leads to the simulated GitHub's sign-in, and the login it prints
// signs in to a board with the demo's launches.
func TestDemoWeb(t *testing.T) {
	d := startDemoWeb(t)
	for _, want := range []string{"conclusion: success",
		"acme/payments#1 opened and left open: \"Launch the payments service\"\nProduction readiness: failure",
		// Its kit complete, it waits only for people.
		"acme/orders#2 opened and left open: \"Run orders in a second region\"\nProduction readiness: action_required"} {
		if !strings.Contains(d.out.String(), want) {
			t.Errorf("demo --web output lacks %q:\n%s", want, d.out.String())
		}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	signIn := get(t, client, d.board)
	if !strings.Contains(signIn.body, "Sign in to GitHub") || strings.HasPrefix(signIn.url, d.pages) {
		t.Fatalf("the board URL led to %s, want the simulated GitHub's sign-in:\n%s", signIn.url, signIn.body)
	}
	form := url.Values{"login": {d.login}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`).FindAllStringSubmatch(signIn.body, -1) {
		form.Set(m[1], m[2])
	}
	action, err := url.Parse(signIn.url)
	if err != nil {
		t.Fatal(err)
	}
	action.RawQuery = ""
	resp, err := client.PostForm(action.String(), form)
	if err != nil {
		t.Fatalf("signing in as %s: %v", d.login, err)
	}
	board := readPage(t, resp)
	if board.status != http.StatusOK || board.url != d.board {
		t.Fatalf("signing in as %s ended on %s (%d), want the board %s:\n%s", d.login, board.url, board.status, d.board, board.body)
	}
	for _, want := range []string{"Signed in as <strong>" + d.login + "</strong>", "acme/payments#1 Launch the payments service",
		"acme/orders#2 Run orders in a second region", "Launch record of acme/orders#1"} {
		if !strings.Contains(board.body, want) {
			t.Errorf("the board lacks %q:\n%s", want, board.body)
		}
	}
	// The demo serves the App's public handler, as serve's public
	// listener does: the operational routes are the pages' 404 there,
	// however spelled.
	for _, path := range []string{"/metrics", "/%6Detrics", "/healthz", "/readyz"} {
		if p := get(t, client, d.pages+path); p.status != http.StatusNotFound || !strings.Contains(p.body, "<title>Not found") {
			t.Errorf("GET %s on the pages = %d, want the pages' 404:\n%.300s", path, p.status, p.body)
		}
	}
}

// fetched is a page a test read.
type fetched struct {
	url    string // after redirects
	status int
	body   string
}

func get(t *testing.T, c *http.Client, u string) fetched {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return readPage(t, resp)
}

func readPage(t *testing.T, resp *http.Response) fetched {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", resp.Request.URL, err)
	}
	return fetched{url: resp.Request.URL.String(), status: resp.StatusCode, body: string(body)}
}
