package browsertest

import (
	"bytes"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// formPage is a page with one labelled field and a button, and /echo shows
// what was submitted; enough to drive a form by keyboard as a person would.
func formPage(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>form</title><h1>Launches</h1>
<form action="/echo"><a href="/elsewhere">first stop</a>
<label for="team">Team</label><input id="team" name="team"><button>Filter</button></form>`)
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>echo</title><p id="got">%s</p>`, html.EscapeString(r.FormValue("team")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowserDrivesAPageByKeyboard(t *testing.T) {
	srv := formPage(t)
	b := Start(t)

	if status := b.Open(srv.URL + "/"); status != http.StatusOK {
		t.Fatalf("GET / answered %d, want 200", status)
	}
	if h1 := Run(b, chromedp.Text(chromedp.CSS("h1"))); h1 != "Launches" {
		t.Errorf("h1 = %q, want Launches", h1)
	}
	// Tab past the link to the field, type, and submit with Enter.
	b.Do(
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("security"),
	)
	if focused := Run(b, chromedp.Evaluate[string]("document.activeElement.id")); focused != "team" {
		t.Fatalf("two tabs focused %q, want the team field", focused)
	}
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("got")))
	if got := Run(b, chromedp.Text(chromedp.ID("got"))); got != "security" {
		t.Errorf("submitted team = %q, want security", got)
	}
	b.Open(srv.URL + "/")
	if status := b.Follow(chromedp.Click(chromedp.CSS("a"))); status != http.StatusNotFound {
		t.Errorf("following the link to /elsewhere ended on %d, want 404", status)
	}
	if url := Run(b, chromedp.Location()); url != srv.URL+"/elsewhere" {
		t.Errorf("after following the link the page is %s, want %s/elsewhere", url, srv.URL)
	}
}

func TestSavePNG(t *testing.T) {
	srv := formPage(t)
	b := Start(t)
	b.Open(srv.URL + "/")
	path := filepath.Join(t.TempDir(), "page.png")
	b.SavePNG(path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if cfg.Width != 1280 {
		t.Errorf("screenshot is %d pixels wide, want the window's 1280", cfg.Width)
	}
}

// failedTest is a test that has failed, and runs its cleanups when told: it
// lets a test see what Start's cleanup does after a failure.
type failedTest struct {
	*testing.T
	cleanups []func()
	logs     []string
}

func (f *failedTest) Failed() bool            { return true }
func (f *failedTest) Cleanup(fn func())       { f.cleanups = append(f.cleanups, fn) }
func (f *failedTest) ArtifactDir() string     { return f.T.TempDir() }
func (f *failedTest) Logf(s string, a ...any) { f.logs = append(f.logs, fmt.Sprintf(s, a...)) }

func (f *failedTest) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestFailedTestKeepsScreenshotAndHTML(t *testing.T) {
	srv := formPage(t)
	ft := &failedTest{T: t}
	b := Start(ft)
	b.Open(srv.URL + "/")
	ft.end()

	logged := strings.Join(ft.logs, "\n")
	paths := regexp.MustCompile(`(?m)(screenshot|HTML): (\S+)$`).FindAllStringSubmatch(logged, -1)
	if len(paths) != 2 {
		t.Fatalf("the cleanup logged %q, want the screenshot's and the HTML's paths", logged)
	}
	if !strings.Contains(logged, srv.URL+"/") {
		t.Errorf("the cleanup logged %q, want the page's URL %s", logged, srv.URL+"/")
	}
	shot, err := os.ReadFile(paths[0][2])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if size := img.Bounds().Size(); size.X < 100 || size.Y < 100 {
		t.Errorf("screenshot is %v, want a page-sized image", size)
	}
	page, err := os.ReadFile(paths[1][2])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<label for="team">Team</label>`) {
		t.Errorf("saved HTML lacks the page's form:\n%s", page)
	}
}

// stoppedTest records how Start ended a test without stopping the caller.
type stoppedTest struct {
	*testing.T
	skipped, fatal string
}

func (s *stoppedTest) Skipf(f string, a ...any)  { s.skipped = fmt.Sprintf(f, a...); runtime.Goexit() }
func (s *stoppedTest) Fatalf(f string, a ...any) { s.fatal = fmt.Sprintf(f, a...); runtime.Goexit() }

func TestWithoutChromium(t *testing.T) {
	tests := []struct {
		name      string
		ci        string
		wantSkip  bool
		wantFatal bool
	}{
		{name: "a developer's machine skips", ci: "", wantSkip: true},
		{name: "CI fails", ci: "true", wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("CI", tt.ci)
			st := &stoppedTest{T: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				Start(st)
				t.Error("Start returned without chromium")
			}()
			<-done
			if got := st.skipped != ""; got != tt.wantSkip {
				t.Errorf("skipped = %q, want skip %v", st.skipped, tt.wantSkip)
			}
			if got := st.fatal != ""; got != tt.wantFatal {
				t.Errorf("fatal = %q, want fatal %v", st.fatal, tt.wantFatal)
			}
		})
	}
}
