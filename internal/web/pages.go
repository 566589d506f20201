package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/templates"
)

// pageStore is what the pages read from the store: the index launchgate
// keeps of what it published, never the authority (the check runs and
// comments on GitHub are).
type pageStore interface {
	OpenPRs(ctx context.Context, org string) ([]store.OpenPR, error)
	PRPage(ctx context.Context, repo string, pr int) (store.Page, error)
	Evaluations(ctx context.Context, repo string, pr int, limit int) ([]store.Evaluation, error)
	Records(ctx context.Context, f store.RecordFilter) ([]store.Record, error)
	Record(ctx context.Context, id string) (store.Record, error)
}

// pagesOptions configure the pages.
type pagesOptions struct {
	Store pageStore
	// Rows answers which of the board's rows the viewer may read and
	// which teams are theirs.
	Rows rowAccess
	// Required lists an organisation's installed repositories that do not
	// require the check, for the board.
	Required requiredSource
	// WebURL is GitHub's browser URL; every link to GitHub starts with it.
	WebURL string
	// RecordKey verifies launch records' signatures.
	RecordKey ed25519.PublicKey
	Now       func() time.Time
	Log       zerolog.Logger
}

// pages renders the PR details page, the organisation board (and its
// JSON) and the launch record page. The route table (handler.routes) calls
// each handler only for a viewer allowed to see the page, the repository
// or organisation its URL names; a handler answers 404 only for what is
// missing. Names in a URL match the store's in any letter case, as on
// GitHub; a page found under another spelling than its URL's moves to the
// stored one.
type pages struct {
	pagesOptions
	tmpl map[string]*template.Template // by page: "board", "pull", "record", "not-found", "message"
}

func newPages(opts pagesOptions) (*pages, error) {
	if opts.Store == nil || opts.Rows == nil || opts.Required == nil || opts.Now == nil {
		return nil, errors.New("web: pages need a store, a gate for the board's rows, a source of required checks and a clock")
	}
	if len(opts.RecordKey) != ed25519.PublicKeySize {
		return nil, errors.New("web: pages need the launch records' Ed25519 public key")
	}
	u, err := url.Parse(opts.WebURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("web: GitHub's web URL %q is not an http(s) URL", opts.WebURL)
	}
	opts.WebURL = strings.TrimSuffix(opts.WebURL, "/")
	tmpl, err := pageTemplates()
	if err != nil {
		return nil, err
	}
	return &pages{pagesOptions: opts, tmpl: tmpl}, nil
}

// pageTemplates are the pages' templates, parsed once: the sign-in
// messages use them too.
var pageTemplates = sync.OnceValues(func() (map[string]*template.Template, error) { return parsePages(templates.Web) })

// parsePages parses each page with the layout into its own set, since
// every page defines the layout's "main".
func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
		"join":    strings.Join,
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(fsys, "web/layout.tmpl")
	if err != nil {
		return nil, fmt.Errorf("web: parsing the layout: %w", err)
	}
	out := map[string]*template.Template{}
	for _, name := range []string{"board", "pull", "record", "not-found", "message"} {
		t, err := template.Must(base.Clone()).ParseFS(fsys, "web/"+name+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("web: parsing the %s page: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// layout is what the layout template reads; Body is the page's own data.
type layout struct {
	Title  string
	Org    string // links the header to the organisation's board
	Viewer *viewer
	Body   any
}

// render writes a whole page, or a 500 when it cannot be rendered: the
// page is built in memory first so that an error never leaves half a page.
func (p *pages) render(w http.ResponseWriter, status int, page string, l layout) {
	var buf bytes.Buffer
	if err := p.tmpl[page].ExecuteTemplate(&buf, "layout", l); err != nil {
		p.Log.Error().Err(err).Str("page", page).Msg("rendering a page failed")
		http.Error(w, "launchgate could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// notFound is the answer for a page that does not exist and for one the
// viewer may not see: the two must look the same, so that a 404 never
// reveals that a private repository exists.
func (p *pages) notFound(w http.ResponseWriter, r *http.Request, v *viewer) {
	p.render(w, http.StatusNotFound, "not-found", layout{Title: "Not found", Viewer: v})
}

// moved sends the browser to path, where the page is under the names'
// stored spelling, keeping the query. Call it only once access is decided:
// a redirect must not tell someone who may not see a page that it exists.
// Like every answer it is not stored (securityHeaders), so that a browser
// asks again after a repository is renamed into yet another case.
func moved(w http.ResponseWriter, r *http.Request, path string) {
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, path, http.StatusMovedPermanently)
}

// unavailable answers a request the store or GitHub could not serve. It
// says nothing about what was asked, so it reveals no more than a 404.
func (p *pages) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	p.Log.Error().Err(err).Str("path", r.URL.Path).Msg("a page could not be served")
	http.Error(w, "launchgate could not load this page; try again in a moment", http.StatusServiceUnavailable)
}

// githubURL links to a path on GitHub, each segment percent-encoded: the
// only links to GitHub the pages make, so that none leads elsewhere.
func (p *pages) githubURL(segments ...string) string {
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	return p.WebURL + "/" + strings.Join(segments, "/")
}

// onGitHub returns u when it is a link into the configured GitHub, and ""
// otherwise: links launchgate stored are shown only if they lead there.
func (p *pages) onGitHub(u string) string {
	if strings.HasPrefix(u, p.WebURL+"/") {
		return u
	}
	return ""
}

// fileURL links to a file at a commit, at a line when line > 0.
func (p *pages) fileURL(repo, commit, path string, line int) string {
	owner, name, _ := strings.Cut(repo, "/")
	return report.CheckRunOptions{WebURL: p.WebURL, Owner: owner, Repo: name, HeadSHA: commit}.FileURL(path, line)
}

// boardPath is the organisation board's path.
func boardPath(org string) string { return "/orgs/" + url.PathEscape(org) }

// pullPath is the PR details page's path.
func pullPath(repo string, pr int) string {
	owner, name, _ := strings.Cut(repo, "/")
	return fmt.Sprintf("/%s/%s/pull/%d", url.PathEscape(owner), url.PathEscape(name), pr)
}

// recordPath is the launch record page's path.
func recordPath(repo string, pr int) string {
	owner, name, _ := strings.Cut(repo, "/")
	return fmt.Sprintf("/orgs/%s/records/%s-%d", url.PathEscape(owner), url.PathEscape(name), pr)
}
