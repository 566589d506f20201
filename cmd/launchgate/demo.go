package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/server"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/signoff"
	"github.com/launchgate/launchgate/internal/store"
)

// demoAppID is the demo App's ID in the simulator.
const demoAppID = 1

// demoMerger merges the demo's pull request.
const demoMerger = "lead"

// runDemo is `launchgate demo [--record FILE] [--keep DIR] [--web ADDR]`:
// the real App server and the GitHub simulator in one process, playing a
// launch PR's life, up to its merge and launch record, with no GitHub
// account. Without --web its last line is "conclusion: <the final run's>";
// with --web it then serves the pages until interrupted.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("demo", flag.ContinueOnError)
	var opts demoOptions
	fset.StringVar(&opts.record, "record", "", "write every request the App made to GitHub to `FILE`, one JSON object per line")
	fset.StringVar(&opts.keep, "keep", "", "keep the launch record public key, the records and the store in `DIR`, for launchgate records export and verify")
	fset.StringVar(&opts.web, "web", "", "after the story, serve the pages on `ADDR` (host:port) against the simulated GitHub until interrupted")
	positional, code, ok := parseArgs("demo", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(stderr, "demo", "takes no arguments, got %q", positional)
	}
	ctx := context.Background()
	if opts.web != "" {
		// Only --web waits for a signal; without it Ctrl-C stops the demo
		// at once, as it always has.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
	}
	return playDemo(ctx, opts, stdout, stderr)
}

// demoOptions are demo's flags.
type demoOptions struct {
	record, keep, web string
}

// playDemo runs the demo; with opts.web it serves the pages afterwards
// until ctx ends.
func playDemo(ctx context.Context, opts demoOptions, stdout, stderr io.Writer) int {
	if opts.keep != "" {
		if err := os.MkdirAll(opts.keep, 0o755); err != nil {
			fmt.Fprintf(stderr, "launchgate demo: --keep: %v\n", err)
			return 2
		}
	}
	// The record file is created first, so that a path that cannot be
	// written fails at once rather than after the whole run; so is the
	// pages' address taken.
	var recordFile *os.File
	if opts.record != "" {
		f, err := os.Create(opts.record)
		if err != nil {
			fmt.Fprintf(stderr, "launchgate demo: --record: %v\n", err)
			return 2
		}
		recordFile = f
		defer recordFile.Close() // after writeRecord's Close, a no-op
	}
	addr := "127.0.0.1:0"
	if opts.web != "" {
		addr = opts.web
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate demo: --web: %v\n", err)
		return 2
	}
	defer ln.Close() // once served, a no-op
	// With --keep the App keeps its records in a SQLite store in DIR, as
	// serve does in store.url, for records export to read afterwards; the
	// pages need a store too, in a temporary directory without --keep.
	storeDir := opts.keep
	if storeDir == "" && opts.web != "" {
		if storeDir, err = os.MkdirTemp("", "launchgate-demo-"); err != nil {
			fmt.Fprintf(stderr, "launchgate demo: %v\n", err)
			return 1
		}
		defer os.RemoveAll(storeDir)
	}
	var st *store.Store
	storeURL := ""
	if storeDir != "" {
		storeURL = "sqlite:" + filepath.Join(storeDir, "launchgate.db")
		if st, err = store.Open(ctx, storeURL); err != nil {
			fmt.Fprintf(stderr, "launchgate demo: store: %v\n", err)
			return 2
		}
		defer st.Close()
	}
	d, err := startDemo(stderr, demoSetup{store: st, storeURL: storeURL, listener: ln, web: opts.web != ""})
	if err != nil {
		fmt.Fprintf(stderr, "launchgate demo: %v\n", err)
		return 1
	}
	story := demo.New(time.Now())
	conclusion, launchRecord, err := d.play(stdout, story)
	if err == nil {
		fmt.Fprintf(stdout, "conclusion: %s\n", conclusion)
		if opts.web != "" {
			err = d.servePages(ctx, stdout, story)
		}
	}
	if cerr := d.close(); err == nil {
		err = cerr
	}
	if err == nil && recordFile != nil {
		err = writeRecord(recordFile, d.sim.Requests())
	}
	if err == nil && opts.keep != "" {
		err = d.keep(opts.keep, launchRecord)
	}
	if err != nil {
		fmt.Fprintf(stderr, "launchgate demo: %v\n", err)
		return 1
	}
	return 0
}

// demoRun is the simulator and the App wired together.
type demoRun struct {
	// recordsKey signs the launch records (PEM).
	recordsKey string
	sim        *githubsim.Server
	app        *server.Server
	http       *http.Server
	pagesURL   string // the pages' base URL, "" without them
	requests   int    // API requests shown so far
}

// demoSetup is what the demo's App runs with.
type demoSetup struct {
	store    *store.Store // nil: none
	storeURL string       // store's URL, for the configuration
	listener net.Listener // the App's webhooks, and its pages with web
	// web serves the pages beside the webhooks, the simulator's sign-in
	// standing in for GitHub's.
	web bool
}

func startDemo(logOut io.Writer, setup demoSetup) (*demoRun, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	secret, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	signoffKey, err := randomHex(32) // the checklist's records are signed with it
	if err != nil {
		return nil, err
	}
	recordsKey, err := launchrecord.NewKeyPEM()
	if err != nil {
		return nil, err
	}
	sim, err := githubsim.Start(githubsim.Options{AppID: demoAppID, PrivateKey: key, WebhookSecret: secret})
	if err != nil {
		return nil, err
	}
	baseURL := "http://" + loopbackAddr(setup.listener.Addr())
	cfg := &server.Config{GitHub: server.GitHubConfig{
		// Links in the check runs look like github.com's, whose pages the
		// simulator does not serve; with the pages they lead to the
		// simulator, whose sign-in the pages need (demoWebConfig).
		WebURL: "https://github.com", V3APIURL: sim.URL(), V4APIURL: sim.GraphQLURL(),
		App: server.AppConfig{
			IntegrationID: demoAppID, WebhookSecret: secret,
			PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		},
		MembershipTTL: server.DefaultMembershipTTL,
	}, Signoff: server.SignoffConfig{Key: signoffKey}, Records: server.RecordsConfig{Key: recordsKey},
		Store: server.StoreConfig{URL: setup.storeURL}}
	if setup.web {
		if err := demoWebConfig(cfg, sim, baseURL); err != nil {
			return nil, errors.Join(err, sim.Close())
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, errors.Join(err, sim.Close())
	}
	app, opts, err := server.FromConfig(cfg, setup.store, zerolog.New(logOut).Level(zerolog.WarnLevel))
	if err != nil {
		return nil, errors.Join(err, sim.Close())
	}
	hs := httpServer(app.Handler())
	go func() { _ = hs.Serve(setup.listener) }()
	sim.SetWebhookURL(baseURL + server.HookPath)
	return &demoRun{sim: sim, app: app, http: hs, recordsKey: recordsKey, pagesURL: opts.PagesURL}, nil
}

// demoWebConfig turns on the pages at baseURL, signing people in at the
// simulator with a fresh OAuth client of the demo's App.
func demoWebConfig(cfg *server.Config, sim *githubsim.Server, baseURL string) error {
	clientSecret, err := randomHex(20)
	if err != nil {
		return err
	}
	var sessionKey [32]byte
	if _, err := rand.Read(sessionKey[:]); err != nil {
		return err
	}
	const clientID = "Iv1.launchgatedemo"
	sim.SetOAuthApp(clientID, clientSecret)
	cfg.GitHub.WebURL = sim.WebURL()
	cfg.Server.PublicURL = baseURL
	cfg.Web = server.WebConfig{ClientID: clientID, ClientSecret: clientSecret, SessionKey: base64.StdEncoding.EncodeToString(sessionKey[:])}
	return nil
}

// loopbackAddr is addr as a browser on this machine reaches it: a
// listener on every interface is reached on the loopback one.
func loopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// randomHex is n random bytes in hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (d *demoRun) close() error {
	simErr := d.sim.Close() // waits for its deliveries to the App
	httpErr := d.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(simErr, httpErr, d.app.Shutdown(ctx))
}

// settle waits until the App has handled every webhook, including those its
// own writes caused.
func (d *demoRun) settle() {
	for {
		n := len(d.sim.Deliveries())
		d.sim.WaitForDeliveries()
		d.app.Wait()
		if len(d.sim.Deliveries()) == n {
			return
		}
	}
}

// play runs the story and prints the check run after each step, then
// merges the pull request and prints its launch record. It returns the
// last run's conclusion and the launch record's signed JSON line.
func (d *demoRun) play(w io.Writer, s demo.Story) (string, []byte, error) {
	conclusion, n, err := d.review(w, s)
	if err != nil {
		return "", nil, err
	}
	merge := d.sim.MergePR(s.Owner, s.Repo, n, demoMerger)
	d.settle()
	fmt.Fprintf(w, "\n== merged by %s as %.7s\n", demoMerger, merge)
	line, err := d.showLaunchRecord(w, s, n)
	if err != nil {
		return "", nil, err
	}
	return conclusion, line, nil
}

// review plays the story up to the merge: the pull request opened, its
// pushes, then approvals and ticks. It returns the last run's conclusion
// and the pull request's number.
func (d *demoRun) review(w io.Writer, s demo.Story) (string, int, error) {
	d.sim.AddInstallation(s.Owner)
	d.sim.AddRepo(s.Owner, s.Repo, s.DefaultBranch, s.Main)
	for _, t := range s.Teams {
		d.sim.AddTeam(s.Owner, t.Slug, t.Members...)
	}
	fmt.Fprintf(w, "launchgate demo: the App, and an in-memory GitHub holding %s/%s, in this process.\n", s.Owner, s.Repo)

	d.sim.ResetRequests()
	head := d.sim.Push(s.Owner, s.Repo, s.Branch, s.Opened)
	n := d.sim.OpenPR(s.Owner, s.Repo, githubsim.PRSpec{Title: s.Title, Head: s.Branch, Labels: s.Labels})
	d.settle()
	step := fmt.Sprintf("%s/%s#%d opened: %q, labels %s, with a half-written launch kit", s.Owner, s.Repo, n, s.Title, strings.Join(s.Labels, ", "))
	conclusion, err := d.show(w, s, step, head, true)
	if err != nil {
		return "", 0, err
	}
	for i, p := range s.Pushes {
		head = d.sim.Push(s.Owner, s.Repo, s.Branch, p.Files)
		d.settle()
		if conclusion, err = d.show(w, s, fmt.Sprintf("push %d of %d: %s", i+1, len(s.Pushes), p.Message), head, true); err != nil {
			return "", 0, err
		}
	}
	for i, a := range s.Acts {
		if err := d.act(s, n, a); err != nil {
			return "", 0, err
		}
		if conclusion, err = d.show(w, s, fmt.Sprintf("review %d of %d: %s", i+1, len(s.Acts), a.Message), head, false); err != nil {
			return "", 0, err
		}
		if err := d.showHuman(w, s, n, head); err != nil {
			return "", 0, err
		}
	}
	return conclusion, n, nil
}

// demoViewer is the login the demo tells people to sign in to the pages
// with: a member of the security team, which the pending launch waits for.
const demoViewer = "sam"

// servePages opens the story's pending launch PRs, so that the board has
// launches waiting, prints where the pages are and whom to sign in as, and
// serves them until ctx ends.
func (d *demoRun) servePages(ctx context.Context, w io.Writer, s demo.Story) error {
	p := s.Pending
	d.sim.AddRepo(s.Owner, p.Repo, s.DefaultBranch, s.Main)
	d.sim.SetRepoPrivate(s.Owner, p.Repo, true)
	head := d.sim.Push(s.Owner, p.Repo, s.Branch, s.Opened)
	n := d.sim.OpenPR(s.Owner, p.Repo, githubsim.PRSpec{Title: p.Title, Head: s.Branch, Labels: s.Labels})
	d.settle()
	if err := d.showLeftOpen(w, s.Owner, p.Repo, n, p.Title, head); err != nil {
		return err
	}
	head = d.sim.Push(s.Owner, s.Repo, p.FollowupBranch, p.Followup.Files)
	n = d.sim.OpenPR(s.Owner, s.Repo, githubsim.PRSpec{Title: p.Followup.Message, Head: p.FollowupBranch, Labels: s.Labels})
	d.settle()
	for _, a := range p.FollowupActs {
		if err := d.act(s, n, a); err != nil {
			return err
		}
	}
	if err := d.showLeftOpen(w, s.Owner, s.Repo, n, p.Followup.Message, head); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== the pages, served until interrupted (Ctrl-C)\n")
	fmt.Fprintf(w, "board: %s/orgs/%s\n", d.pagesURL, s.Owner)
	teams := make([]string, len(s.Teams))
	for i, t := range s.Teams {
		teams[i] = t.Slug + ": " + strings.Join(t.Members, ", ")
	}
	fmt.Fprintf(w, "sign in to the simulated GitHub as: %s (the teams of %s are %s; any other login is an outsider)\n", demoViewer, s.Owner, strings.Join(teams, "; "))
	<-ctx.Done()
	return nil
}

// showLeftOpen prints a launch PR that the demo leaves open, and its run.
func (d *demoRun) showLeftOpen(w io.Writer, owner, repo string, n int, title, head string) error {
	run := d.latestRun(owner, repo, head)
	if run == nil {
		return fmt.Errorf("no %q check run on %s/%s#%d", server.CheckName, owner, repo, n)
	}
	fmt.Fprintf(w, "\n== %s/%s#%d opened and left open: %q\n", owner, repo, n, title)
	fmt.Fprintf(w, "%s: %s — %s\n", server.CheckName, run.GetConclusion(), run.GetOutput().GetTitle())
	return nil
}

// showLaunchRecord prints the summary of #n's launch record comment and
// returns its signed JSON line.
func (d *demoRun) showLaunchRecord(w io.Writer, s demo.Story, n int) ([]byte, error) {
	for _, cm := range d.sim.Comments(s.Owner, s.Repo, n) {
		if !strings.HasPrefix(cm.GetBody(), launchrecord.Marker) {
			continue
		}
		summary, _, _ := strings.Cut(strings.TrimPrefix(cm.GetBody(), launchrecord.Marker+"\n"), "<details>")
		for _, line := range strings.Split(strings.TrimSpace(summary), "\n") {
			line = strings.TrimPrefix(strings.TrimPrefix(line, "### "), "- ")
			if line != "" {
				fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(terminalText(line), "`", ""))
			}
		}
		return launchrecord.FromComment(cm.GetBody())
	}
	return nil, fmt.Errorf("no launch record comment on %s/%s#%d after its merge", s.Owner, s.Repo, n)
}

// keep writes the launch record public key and the record to dir, as
// `launchgate records verify` reads them.
func (d *demoRun) keep(dir string, record []byte) error {
	key, err := launchrecord.ParsePrivateKey([]byte(d.recordsKey))
	if err != nil {
		return err
	}
	pub, err := launchrecord.PublicKeyPEM(key)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"records-public-key.pem": pub, "records.jsonl": append(record, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("--keep: %w", err)
		}
	}
	return nil
}

// act is a person approving the pull request or ticking boxes of its
// checklist comment, as in GitHub's interface.
func (d *demoRun) act(s demo.Story, n int, a demo.Act) error {
	defer d.settle()
	if a.Approve {
		d.sim.SubmitReview(s.Owner, s.Repo, n, a.Login, "APPROVED")
		return nil
	}
	cm, err := d.checklist(s, n)
	if err != nil {
		return err
	}
	body := cm.GetBody()
	for _, item := range a.Tick {
		var ok bool
		if body, ok = demo.Tick(body, item); !ok {
			return fmt.Errorf("the checklist has no unticked box for %s", item)
		}
	}
	d.sim.EditComment(s.Owner, s.Repo, cm.GetID(), a.Login, body)
	return nil
}

// checklist is the pull request's checklist comment.
func (d *demoRun) checklist(s demo.Story, n int) (*github.IssueComment, error) {
	for _, cm := range d.sim.Comments(s.Owner, s.Repo, n) {
		if strings.HasPrefix(cm.GetBody(), signoff.Marker) {
			return cm, nil
		}
	}
	return nil, fmt.Errorf("no checklist comment on %s/%s#%d", s.Owner, s.Repo, n)
}

// showHuman prints the run's approval and sign-off lines and the
// checklist's boxes with launchgate's notes.
func (d *demoRun) showHuman(w io.Writer, s demo.Story, n int, head string) error {
	run := d.latestRun(s.Owner, s.Repo, head)
	cm, err := d.checklist(s, n)
	if run == nil || err != nil {
		return errors.Join(err, fmt.Errorf("no check run on %s", head))
	}
	// Each requirement lists the approvals it needs; show each team once,
	// with what it waits for.
	fmt.Fprintln(w, "    approvals:")
	lines := strings.Split(run.GetOutput().GetText(), "\n")
	shown := map[string]bool{}
	for i, line := range lines {
		check := terminalText(strings.TrimPrefix(line, "- "))
		if !strings.HasPrefix(line, "- ") || !strings.Contains(check, " approval-") || shown[check] {
			continue
		}
		shown[check] = true
		fmt.Fprintf(w, "      %s\n", check)
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  - ") {
			fmt.Fprintf(w, "      %s\n", terminalText(lines[i+1]))
		}
	}
	fmt.Fprintln(w, "    checklist:")
	for _, line := range strings.Split(terminalText(cm.GetBody()), "\n") {
		if strings.HasPrefix(line, "- [") || strings.HasPrefix(line, "  - ⚠️") {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	return nil
}

// latestRun is the Production readiness run GitHub shows on head.
func (d *demoRun) latestRun(owner, repo, head string) *github.CheckRun {
	var run *github.CheckRun
	for _, r := range d.sim.CheckRuns(owner, repo, head) {
		if r.GetName() == server.CheckName {
			run = r
		}
	}
	return run
}

// show prints the Production readiness run on head.
func (d *demoRun) show(w io.Writer, s demo.Story, step, head string, summary bool) (string, error) {
	run := d.latestRun(s.Owner, s.Repo, head)
	if run == nil {
		return "", fmt.Errorf("no %q check run on %s after %s", server.CheckName, head, step)
	}
	fmt.Fprintf(w, "\n== %s (head %.7s)\n", step, head)
	fmt.Fprintf(w, "%s: %s — %s\n", server.CheckName, run.GetConclusion(), run.GetOutput().GetTitle())
	if summary {
		for _, line := range strings.Split(strings.TrimSpace(run.GetOutput().GetSummary()), "\n") {
			fmt.Fprintf(w, "    %s\n", terminalText(line))
		}
		showFindings(w, run.GetOutput().GetText())
	}
	total := len(d.sim.Requests())
	fmt.Fprintf(w, "    [annotations: %d · GitHub API requests for this step: %d]\n", len(run.GetOutput().Annotations), total-d.requests)
	d.requests = total
	return run.GetConclusion(), nil
}

// showFindings prints the failing checks of the check run's details, each
// under its requirement, with their findings: what the next push has to
// fix. Passing checks need nothing, and pending ones wait for people, which
// the review steps show.
func showFindings(w io.Writer, details string) {
	requirement, failing := "", false
	for _, line := range strings.Split(details, "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			requirement, failing = terminalText(strings.TrimPrefix(line, "### ")), false
		case strings.HasPrefix(line, "- "):
			failing = strings.HasPrefix(line, "- ❌")
			if failing && requirement != "" {
				fmt.Fprintf(w, "    %s\n", requirement)
				requirement = ""
			}
			if failing {
				fmt.Fprintf(w, "      %s\n", terminalText(strings.TrimPrefix(line, "- ")))
			}
		case strings.HasPrefix(line, "  - ") && failing:
			fmt.Fprintf(w, "          %s\n", terminalText(strings.TrimPrefix(line, "  - ")))
		case strings.HasPrefix(line, "… "):
			fmt.Fprintf(w, "    %s\n", terminalText(line))
		}
	}
}

var (
	// markdownLink is [text](url), the text possibly holding escapes.
	markdownLink = regexp.MustCompile(`\[((?:\\.|[^\]\\])*)\]\([^)]*\)`)
	// markdownEscape is a backslash-escaped punctuation character.
	markdownEscape = regexp.MustCompile(`\\([[:punct:]])`)
)

// terminalText shows a line of the App's markdown as a terminal should:
// links as their text, no bold marks, and what report.Escape did to the
// repository's text undone (backslashes, entities, the zero-width joiners
// that break @-mentions).
func terminalText(md string) string {
	md = markdownLink.ReplaceAllString(md, "$1")
	md = strings.ReplaceAll(md, "**", "")
	md = markdownEscape.ReplaceAllString(md, "$1")
	return html.UnescapeString(strings.ReplaceAll(md, "\u200d", ""))
}

// recorded is one line of --record: a request as the App sent it, the path
// relative to the API root.
type recorded struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// writeRecord writes the requests to f, one JSON object per line, and
// closes it.
func writeRecord(f *os.File, reqs []githubsim.RecordedRequest) error {
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range reqs {
		if err := enc.Encode(recorded{Method: r.Method, Path: r.Path, Query: r.Query, Body: r.Body}); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", f.Name(), err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return nil
}
