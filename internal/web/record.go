package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/store"
)

// recordView is a launch record as people read it, whether its signature
// verifies with the configured key, and the signed line itself.
type recordView struct {
	launchrecord.Record
	// Parsed is false when the line is not a launch record at all; then
	// only Raw is shown.
	Parsed                   bool
	Verified                 bool
	Problem                  string // why it does not verify
	Raw                      string
	PRURL, MergeURL, HeadURL string
}

// record serves the launch record of org/name#pr to v, who may read the
// repository: the route table asked the gate.
func (p *pages) record(w http.ResponseWriter, r *http.Request, v *viewer, org, name string, pr int) {
	ctx := r.Context()
	repo := org + "/" + name
	rec, err := p.Store.Record(ctx, fmt.Sprintf("%s#%d", repo, pr))
	if errors.Is(err, store.ErrNotFound) {
		p.notFound(w, r, v)
		return
	}
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	if !strings.EqualFold(rec.Repo, repo) || rec.PR != pr {
		// The id names the row; a row under another repository's id would
		// have been read with the wrong repository's access.
		p.unavailable(w, r, fmt.Errorf("the stored record %s is of %s#%d", rec.ID, rec.Repo, rec.PR))
		return
	}
	if rec.Repo != repo {
		moved(w, r, recordPath(rec.Repo, pr))
		return
	}
	view := p.recordView(repo, pr, rec.Line)
	p.render(w, http.StatusOK, "record", layout{
		Title: fmt.Sprintf("Launch record of %s#%d", repo, pr), Org: org, Viewer: v, Body: view,
	})
}

func (p *pages) recordView(repo string, pr int, line []byte) recordView {
	view := recordView{Raw: string(line), PRURL: p.githubURL(splitRepo(repo, "pull", fmt.Sprint(pr))...)}
	parsed, err := launchrecord.Verify(p.RecordKey, line)
	switch {
	case err == nil:
		view.Record, view.Parsed, view.Verified = parsed, true, true
	case parsed.Repo != "":
		view.Record, view.Parsed, view.Problem = parsed, true, err.Error()
	default:
		// Verify refuses what is not canonical before reading it; show
		// what a lenient read finds, marked as not verified.
		view.Problem = err.Error()
		view.Parsed = json.Unmarshal(line, &view.Record) == nil
	}
	if view.Merge != "" {
		view.MergeURL = p.githubURL(splitRepo(repo, "commit", view.Merge)...)
	}
	if view.Head != "" {
		view.HeadURL = p.githubURL(splitRepo(repo, "commit", view.Head)...)
	}
	return view
}
