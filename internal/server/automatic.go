package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/checklimits"
	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/signoff"
)

// automatic is the automatic half of a launch PR's evaluation: what every
// automatic check found on the head tree, and the files each sign-off
// attests there. A review, a tick or a membership change does not change
// it, so it is kept in the check run already published (a hidden block at
// the top of output.text, see automaticBlock) and a later evaluation on
// any replica rebuilds the requirements from it instead of reading the
// tree again and re-running the checks.
//
// It holds for the head commit, the policy (its digest covers the checks'
// configuration and environments), the launchgate version that ran the
// checks, and the day: checks read the date (a recovery drill's age is
// counted in days). Anything else, or a block that does not verify, and
// the tree is read and the checks run again: it can never pass a check
// that running it would fail.
type automatic struct {
	V       int    `json:"v"`
	Head    string `json:"head"`
	Policy  string `json:"policy"`
	Version string `json:"version"`
	Day     string `json:"day"`
	// Checks are the policy's automatic checks in its order.
	Checks []automaticCheck `json:"checks"`
	// Artifacts are the files each sign-off item attests, by item id; an
	// item the scan could not read is missing, as artifacts leaves it.
	Artifacts map[string]*signoff.Artifacts `json:"artifacts"`
}

type automaticCheck struct {
	Requirement string `json:"req"`
	ID          string `json:"id"`
	// Status is the check's outcome: a check pending on another (replicas
	// on environments) has findings and is not a failure, so the findings
	// alone do not say it.
	Status   readiness.Status  `json:"status"`
	Findings []inspect.Finding `json:"findings"`
}

// automaticVersion is the block's format; another one is re-evaluated.
// Version 1 blocks held no status.
const automaticVersion = 2

// automaticPrefix starts the block: an HTML comment, which GitHub does not
// show in a check run's output.
const automaticPrefix = "<!-- launchgate:automatic "

// maxAutomaticBytes bounds the block. A larger one (many findings, many
// attested files) is not kept: each evaluation then reads the tree, as
// before, rather than crowding the report out of output.text.
const maxAutomaticBytes = 16 << 10

// day is the date the checks judge dates by (inspect's checkDate).
func day(now time.Time) string { return now.Format(time.DateOnly) }

// automaticOf is the automatic half of a report of pr's head under pol.
func (e *evaluator) automaticOf(pr githubapi.PullRequest, pol *policy.Policy, rep *readiness.Report, arts map[string]*signoff.Artifacts, now time.Time) automatic {
	a := automatic{V: automaticVersion, Head: pr.HeadSHA, Policy: pol.Digest, Version: e.version, Day: day(now), Artifacts: arts}
	for i, checks := range readiness.AutomaticOf(pol, rep) {
		for _, c := range checks {
			a.Checks = append(a.Checks, automaticCheck{Requirement: pol.Requirements[i].ID, ID: c.ID, Status: c.Status, Findings: c.Findings})
		}
	}
	return a
}

// automaticBlock is a's block for output.text, signed with the
// evaluator's key (a run is written by this App only; the signature keeps
// a block copied from elsewhere from counting), or "" when it is larger
// than maxAutomaticBytes.
func (e *evaluator) automaticBlock(a automatic) string {
	data, err := json.Marshal(a)
	if err != nil {
		return "" // findings and artifacts are plain strings and numbers
	}
	block := automaticPrefix + base64.RawURLEncoding.EncodeToString(data) + " " + e.automaticMAC(data) + " -->\n"
	if len(block) > maxAutomaticBytes {
		return ""
	}
	return block
}

func (e *evaluator) automaticMAC(data []byte) string {
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte("launchgate automatic result\x00"))
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}

// withAutomatic is text with the block on top, or text alone when both
// do not fit in output.text.
func withAutomatic(block, text string) string {
	if block == "" || len(block)+len(text) > checklimits.OutputBytes {
		return text
	}
	return block + text
}

// recallAutomatic is the automatic half kept in run, when it verifies and
// holds for pr's head, pol, this version and now's day and covers every
// check of pol; otherwise nil, and the tree is read.
func (e *evaluator) recallAutomatic(run *githubapi.RunRead, pr githubapi.PullRequest, pol *policy.Policy, now time.Time) *automatic {
	if run == nil || !run.Exists || !strings.HasPrefix(run.Text, automaticPrefix) {
		return nil
	}
	line, _, _ := strings.Cut(strings.TrimPrefix(run.Text, automaticPrefix), "\n")
	encoded, rest, _ := strings.Cut(line, " ")
	mac, tail, _ := strings.Cut(rest, " ")
	data, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || tail != "-->" || !hmac.Equal([]byte(mac), []byte(e.automaticMAC(data))) {
		return nil
	}
	var a automatic
	if err := json.Unmarshal(data, &a); err != nil || a.V != automaticVersion || a.Head != pr.HeadSHA ||
		a.Policy != pol.Digest || a.Version != e.version || a.Day != day(now) {
		return nil
	}
	if a.outcomes(pol) == nil {
		return nil
	}
	if a.Artifacts == nil {
		a.Artifacts = map[string]*signoff.Artifacts{}
	}
	return &a
}

// outcomes are the recorded outcomes of pol's automatic checks, in the
// form readiness.Snapshot.Automatic takes, or nil when the block lacks a
// check or records one inconsistently (a failure without findings, a pass
// with some, an unknown status).
func (a *automatic) outcomes(pol *policy.Policy) [][]readiness.Check {
	recorded := map[[2]string]automaticCheck{}
	for _, c := range a.Checks {
		recorded[[2]string{c.Requirement, c.ID}] = c
	}
	if len(recorded) != len(a.Checks) {
		return nil
	}
	out := make([][]readiness.Check, len(pol.Requirements))
	n := 0
	for i, r := range pol.Requirements {
		for _, c := range r.Checks {
			rc, ok := recorded[[2]string{r.ID, c.ID}]
			consistent := map[readiness.Status]bool{
				readiness.Pass:    len(rc.Findings) == 0,
				readiness.Fail:    len(rc.Findings) > 0,
				readiness.Pending: len(rc.Findings) > 0,
			}
			if !ok || !consistent[rc.Status] {
				return nil
			}
			findings := rc.Findings
			if findings == nil {
				findings = []inspect.Finding{}
			}
			out[i] = append(out[i], readiness.Check{ID: c.ID, Kind: c.Kind, Description: c.Description, Status: rc.Status, Findings: findings})
			n++
		}
	}
	if n != len(a.Checks) {
		return nil
	}
	return out
}
