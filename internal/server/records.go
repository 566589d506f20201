package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/store"
)

// envRecordsKey holds the launch record signing key; it wins over the file.
const envRecordsKey = "LAUNCHGATE_RECORDS_KEY"

// RecordsPublicKeyPath serves the launch record public key (PEM).
const RecordsPublicKeyPath = "/records/public-key"

// RecordsConfig configures launch records (records.go).
type RecordsConfig struct {
	// Key signs launch records: a PEM PKCS#8 Ed25519 private key
	// (`openssl genpkey -algorithm ed25519`). Every replica needs the same
	// key. It is separate from the sign-off key so that the public half
	// can be published: anyone can verify a record, nobody but launchgate
	// can sign one. After LoadConfig it holds the key whichever way it was
	// given.
	Key string `yaml:"key"`
	// KeyFile is a path to a file holding the key (a mounted secret).
	KeyFile string `yaml:"key_file"`
}

// resolveKey reads the key file into Key and parses the key. It returns a
// problem, or "". Problems never include the key. keySource names where
// Key came from.
func (r *RecordsConfig) resolveKey(keySource string) string {
	switch {
	case r.Key != "" && r.KeyFile != "":
		return "records.key and records.key_file are both set: use one"
	case r.KeyFile != "":
		data, err := os.ReadFile(r.KeyFile)
		if err != nil {
			return fmt.Sprintf("records.key_file: %v", err)
		}
		keySource = "records.key_file " + r.KeyFile
		r.Key, r.KeyFile = string(data), ""
	case r.Key == "":
		return "records.key is missing: set records.key_file, records.key or " + envRecordsKey +
			" to a PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`); launchgate signs launch records with it"
	}
	if _, err := launchrecord.ParsePrivateKey([]byte(r.Key)); err != nil {
		return fmt.Sprintf("%s: %v", keySource, err)
	}
	return ""
}

// merge is what a pull_request "closed" delivery of a merge says about it
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request).
type merge struct {
	commit, by string
	at         time.Time
}

// closedEvent is a pull_request "closed" delivery. A merge of a launch PR
// gets a launch record; any closed pull request leaves the store's open
// launch PRs. Without a store, a pull request closed without merging is
// ignored. It is queued on its own, never coalesced: it evaluates no check
// run.
type closedEvent struct {
	uncoalesced
	ev *evaluator
	p  *pullRequestPayload
}

func (e closedEvent) ignored() string {
	if !e.p.PullRequest.Merged && e.ev.store == nil {
		return "closed without merging"
	}
	return ""
}

func (e closedEvent) handle(ctx context.Context, _ carried) error {
	p := e.p
	ctx, _ = githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), p.PullRequest.Number)
	pr := p.pull()
	e.ev.forgetOpenPR(ctx, pr)
	if !p.PullRequest.Merged {
		return nil
	}
	return e.ev.record(ctx, pr, p.merge())
}

// record writes the launch record of a merged pull request, when it is a
// launch PR and has none yet. The record says what held at the merge: it
// is built from a fresh evaluation of the head commit (nothing of it is
// published) and the conclusion of this App's run on that commit, which is
// what GitHub showed when the merge happened.
func (e *evaluator) record(ctx context.Context, pr githubapi.PullRequest, m merge) error {
	ctx, cancel := context.WithTimeout(ctx, evaluationTimeout)
	defer cancel()
	log := zerolog.Ctx(ctx)
	// The checklist and the record are written under the pull request's
	// lock, so that two deliveries of one merge cannot both find no record.
	defer e.locks.lock(fmt.Sprintf("%s/%s#%d", pr.Owner, pr.Repo, pr.Number))()
	bot, err := e.gh.AppLogin(ctx)
	if err != nil {
		return fmt.Errorf("launch record of %s/%s#%d: reading the App's login: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	existing, err := e.gh.MarkedComment(ctx, pr, launchrecord.Marker, bot)
	if err != nil {
		return fmt.Errorf("launch record of %s/%s#%d: looking for an existing record: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	if existing != nil {
		log.Info().Int64("comment", existing.ID).Msg("the merge already has its launch record; nothing to do")
		return nil
	}
	now := e.now()
	snap := e.gather(ctx, pr, nil, now)
	switch {
	case snap.err != nil:
		return fmt.Errorf("launch record of %s/%s#%d: %s: %w", pr.Owner, pr.Repo, pr.Number, snap.failed, snap.err)
	case snap.brokenPolicy != nil:
		// Whether it was a launch PR cannot be known; its run was a
		// policy error, which no one should have merged past.
		log.Warn().Msg("merged while the base branch's policy cannot be read; no launch record written")
		return nil
	case !snap.launch.Launch:
		log.Debug().Str("reason", snap.launch.Reason).Msg("merged pull request is not a launch PR; no launch record")
		return nil
	}
	p, err := e.decide(snap, now)
	if err != nil {
		return err
	}
	rec := e.launchRecord(pr, m, snap, p.judged)
	signed, line, err := launchrecord.Sign(e.recordKey, rec)
	if err != nil {
		return err
	}
	c, err := e.gh.CreateComment(ctx, pr, launchrecord.Marker, launchrecord.Comment(signed, line))
	if err != nil {
		return fmt.Errorf("launch record of %s/%s#%d: posting it: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	e.metrics.launchRecord(rec.Bypassed)
	e.storeRecord(ctx, signed, line)
	ev := log.Info()
	if rec.Bypassed {
		ev = log.Warn()
	}
	ev.Int64("comment", c.ID).Str("head_sha", pr.HeadSHA).Str("conclusion", rec.Conclusion).Bool("bypassed", rec.Bypassed).
		Msg("launch record written")
	return nil
}

// storeRecord keeps a posted record in the store too. The comment is the
// durable copy and is already posted, so a store failure is logged and
// counted, never returned: returning it would make a redelivery find the
// comment and stop, and the record is still there to rebuild from.
func (e *evaluator) storeRecord(ctx context.Context, r launchrecord.Record, line []byte) {
	if e.store == nil {
		return
	}
	id := fmt.Sprintf("%s#%d", r.Repo, r.PR)
	if err := e.store.PutRecord(ctx, store.Record{ID: id, Repo: r.Repo, PR: r.PR, MergedAt: r.MergedAt, Line: line}); err != nil {
		e.storeFailed(ctx, err, "launch record posted but not stored; rebuild it from its PR comment")
	}
}

// judged is a launch PR's evaluation as a launch record keeps it.
type judged struct {
	report *readiness.Report
	human  *readiness.Human
}

// launchRecord builds the unsigned record of a merge from its evaluation.
func (e *evaluator) launchRecord(pr githubapi.PullRequest, m merge, s *snapshot, j judged) launchrecord.Record {
	conclusion := "none"
	if s.run != nil && s.run.Exists && s.run.Conclusion != "" {
		conclusion = s.run.Conclusion
	}
	r := launchrecord.Record{
		Repo: pr.Owner + "/" + pr.Repo, PR: pr.Number, Title: pr.Title, Author: pr.Author,
		Merge: m.commit, MergedBy: m.by, MergedAt: m.at.UTC(),
		Head: pr.HeadSHA, Conclusion: conclusion, Bypassed: conclusion != "success",
		PolicySource: s.policy.Source, PolicyDigest: s.policy.Digest, Version: e.version,
		Requirements: []launchrecord.Requirement{}, Signoffs: []launchrecord.Signoff{},
		Approvals: []launchrecord.Approval{}, Waivers: []launchrecord.Waiver{},
	}
	// A team's approval, or a check, may be listed under several
	// requirements; the record names each once.
	seen := map[string]bool{}
	for _, req := range j.report.Requirements {
		out := launchrecord.Requirement{ID: req.ID, Status: string(req.Status), Checks: []launchrecord.Check{}}
		for _, c := range req.Checks {
			out.Checks = append(out.Checks, launchrecord.Check{ID: c.ID, Kind: c.Kind, Status: string(c.Status)})
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			if w := c.Waiver; w != nil {
				r.Waivers = append(r.Waivers, launchrecord.Waiver{Check: c.ID, By: w.By, At: w.At.UTC(), Until: w.Until, Reason: w.Reason})
			}
			if c.Status != readiness.Pass {
				continue
			}
			switch c.Kind {
			case readiness.KindSignoff:
				if d, ok := j.human.Signoffs[c.ID]; ok {
					r.Signoffs = append(r.Signoffs, launchrecord.Signoff{Item: c.ID, By: d.By, At: d.At.UTC(), Digest: d.Digest})
				}
			case readiness.KindApproval:
				if d, ok := j.human.Approvals[c.Team]; ok {
					r.Approvals = append(r.Approvals, launchrecord.Approval{Team: c.Team, By: d.By, At: d.At.UTC(), Commit: d.Commit})
				}
			}
		}
		r.Requirements = append(r.Requirements, out)
	}
	return r
}

// servePublicKey serves the launch record public key, for
// `launchgate records verify --public-key`.
func servePublicKey(pemBytes []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(pemBytes)
	}
}
