package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/store"
)

// records are the App's launch record comments on #n.
func (h *harness) records(n int) []*github.IssueComment {
	var out []*github.IssueComment
	for _, cm := range h.sim.Comments("acme", "orders", n) {
		if cm.GetUser().GetLogin() == botLogin && firstLine(cm.GetBody()) == launchrecord.Marker {
			out = append(out, cm)
		}
	}
	return out
}

// get answers a GET of the App's path.
func (h *harness) get(path string) (status int, contentType, body string) {
	h.t.Helper()
	resp, err := http.Get(h.url + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// record is #n's one launch record, verified with the key the App serves.
func (h *harness) record(n int) (launchrecord.Record, []byte) {
	h.t.Helper()
	found := h.records(n)
	if len(found) != 1 {
		h.t.Fatalf("#%d has %d launch record comments, want 1", n, len(found))
	}
	line, err := launchrecord.FromComment(found[0].GetBody())
	if err != nil {
		h.t.Fatal(err)
	}
	_, _, pemText := h.get(RecordsPublicKeyPath)
	pub, err := launchrecord.ParsePublicKey([]byte(pemText))
	if err != nil {
		h.t.Fatalf("GET %s: %v", RecordsPublicKeyPath, err)
	}
	r, err := launchrecord.Verify(pub, line)
	if err != nil {
		h.t.Fatalf("#%d's launch record does not verify: %v\n%s", n, err, line)
	}
	return r, line
}

// recordsMetric is the launch records counter's line for bypassed.
func (h *harness) recordsMetric(bypassed string) string {
	h.t.Helper()
	_, body := get(h.t, h.internalURL+"/metrics")
	prefix := metricLaunchRecords + `{bypassed="` + bypassed + `"} `
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimPrefix(line, prefix)
		}
	}
	h.t.Fatalf("/metrics has no %s line", prefix)
	return ""
}

// closedDelivery is the last pull_request "closed" payload delivered.
func (h *harness) closedDelivery() []byte {
	h.t.Helper()
	var closed []byte
	for _, d := range h.sim.Deliveries() {
		if d.GetEvent() == "pull_request" && d.GetAction() == "closed" {
			closed = *d.GetRequest().RawPayload
		}
	}
	if closed == nil {
		h.t.Fatal("no pull_request.closed delivery recorded")
	}
	return closed
}

func TestLaunchRecordOnMerge(t *testing.T) {
	h := newHumanHarness(t, nil)
	n, head := readyPR(t, h, "launch-orders")
	h.sim.SubmitReview("acme", "orders", n, "sam", "APPROVED")
	h.sim.SubmitReview("acme", "orders", n, "ian", "APPROVED")
	h.settle()
	h.tick(n, "sam", "security-review-done")
	h.tick(n, "ivy", "alerts-fired", "load-test-results", "recovery-repeats")
	if c := h.run(head).GetConclusion(); c != report.ConclusionSuccess {
		t.Fatalf("setup: conclusion %s, want success", c)
	}
	merge := h.sim.MergePR("acme", "orders", n, "lead")
	h.settle()

	r, line := h.record(n)
	if r.Repo != "acme/orders" || r.PR != n || r.Merge != merge || r.MergedBy != "lead" || r.MergedAt.IsZero() ||
		r.Head != head || r.Conclusion != "success" || r.Bypassed || r.Author != "octocat" || r.PolicyDigest == "" {
		t.Errorf("record = %+v", r)
	}
	signedOff := map[string]string{}
	for _, s := range r.Signoffs {
		if s.Digest == "" {
			t.Errorf("sign-off %s has no digest of what it attested", s.Item)
		}
		signedOff[s.Item] = s.By
	}
	if signedOff["security-review-done"] != "sam" || signedOff["recovery-repeats"] != "ivy" || len(signedOff) != 4 {
		t.Errorf("sign-offs = %v, want the four ticks", signedOff)
	}
	if len(r.Approvals) != 2 {
		t.Errorf("record has %d approvals, want each team's once: %+v", len(r.Approvals), r.Approvals)
	}
	approved := map[string]string{}
	for _, a := range r.Approvals {
		if a.Commit != head {
			t.Errorf("approval of %s names commit %q, want the head %s", a.Team, a.Commit, head)
		}
		approved[a.Team] = a.By
	}
	if approved["security"] != "sam" || approved["infra"] != "ian" {
		t.Errorf("approvals = %v", approved)
	}
	if len(r.Requirements) != 5 && len(r.Requirements) != 6 {
		t.Errorf("record has %d requirements", len(r.Requirements))
	}
	for _, req := range r.Requirements {
		if req.Status != "pass" {
			t.Errorf("requirement %s is %s at a merge that passed the gate", req.ID, req.Status)
		}
	}
	_, _, pemText := h.get(RecordsPublicKeyPath)
	pub, _ := launchrecord.ParsePublicKey([]byte(pemText))
	tampered := bytes.Replace(line, []byte(`"merged_by":"lead"`), []byte(`"merged_by":"leaf"`), 1)
	if bytes.Equal(tampered, line) {
		t.Fatal("the test did not change the record")
	}
	if _, err := launchrecord.Verify(pub, tampered); err == nil {
		t.Error("a record with a byte changed verifies")
	}
	if got := h.recordsMetric("false"); got != "1" {
		t.Errorf("records counted with bypassed=false: %s, want 1", got)
	}

	// A redelivery of the merge finds the record and posts no second one.
	if resp := h.post("pull_request", h.closedDelivery(), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("redelivery answered %d", resp.StatusCode)
	}
	h.settle()
	if got := len(h.records(n)); got != 1 {
		t.Errorf("%d launch records after a redelivery, want 1", got)
	}
	if got := h.recordsMetric("false"); got != "1" {
		t.Errorf("a redelivery counted a record again: %s", got)
	}
}

func TestLaunchRecordOfABypass(t *testing.T) {
	h := newHumanHarness(t, nil)
	s := demo.New(testNow)
	n, head := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	if c := h.run(head).GetConclusion(); c != report.ConclusionFailure {
		t.Fatalf("setup: conclusion %s, want failure", c)
	}
	h.sim.MergePR("acme", "orders", n, "admin")
	h.settle()
	r, _ := h.record(n)
	if !r.Bypassed || r.Conclusion != "failure" || r.MergedBy != "admin" {
		t.Errorf("record of a merge past a failing run: bypassed %t, conclusion %q, merged by %q", r.Bypassed, r.Conclusion, r.MergedBy)
	}
	failing := 0
	for _, req := range r.Requirements {
		if req.Status == "fail" {
			failing++
		}
	}
	if failing == 0 {
		t.Errorf("no requirement failing in the record of a failing head: %+v", r.Requirements)
	}
	if body := h.records(n)[0].GetBody(); !strings.Contains(body, "merged past the gate") {
		t.Errorf("the record's summary does not say the gate was bypassed:\n%s", body)
	}
	if got := h.recordsMetric("true"); got != "1" {
		t.Errorf("records counted with bypassed=true: %s, want 1", got)
	}
}

// A launch PR that brings a policy of its own under which it is no launch
// PR is still recorded, under the policy of the base it was merged onto:
// the merge commit's policy is the pull request's.
func TestLaunchRecordUsesTheBasePolicy(t *testing.T) {
	h := newHumanHarness(t, nil)
	s := demo.New(testNow)
	files := map[string]string{".github/launchgate.yml": "version: 1\nlaunch:\n  labels: [never]\nrequirements: []\n"}
	for k, v := range s.Opened {
		files[k] = v
	}
	n, _ := h.openPR(s.Branch, files, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	h.sim.MergePR("acme", "orders", n, "admin")
	h.settle()
	r, _ := h.record(n)
	if !r.Bypassed || r.PolicySource == ".github/launchgate.yml" {
		t.Errorf("record of a merge that brought its own policy: bypassed %t, policy %s", r.Bypassed, r.PolicySource)
	}
}

func TestNoLaunchRecord(t *testing.T) {
	tests := []struct {
		name  string
		open  func(h *harness) int
		merge bool
	}{
		{name: "a launch PR closed without merging", merge: false, open: func(h *harness) int {
			n, _ := readyPR(h.t, h, "launch-orders")
			return n
		}},
		{name: "a merged pull request that is not a launch PR", merge: true, open: func(h *harness) int {
			n, _ := h.openPR("typo", map[string]string{"README.md": "orders service\n"}, githubsim.PRSpec{Title: "Fix a typo"})
			return n
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHumanHarness(t, nil)
			n := tt.open(h)
			if tt.merge {
				h.sim.MergePR("acme", "orders", n, "lead")
			} else {
				h.sim.ClosePR("acme", "orders", n, "octocat")
			}
			h.settle()
			if got := len(h.records(n)); got != 0 {
				t.Errorf("%d launch records, want none", got)
			}
			if got := h.recordsMetric("false") + h.recordsMetric("true"); got != "00" {
				t.Errorf("records counted: %s", got)
			}
			if !tt.merge {
				resp := h.post("pull_request", h.closedDelivery(), nil)
				if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "closed without merging") {
					t.Errorf("a close without a merge answered %q, want it ignored", b)
				}
			}
		})
	}
}

func TestRecordsPublicKeyRoute(t *testing.T) {
	h := newHarness(t)
	status, ctype, body := h.get(RecordsPublicKeyPath)
	if status != http.StatusOK || ctype != "application/x-pem-file" {
		t.Fatalf("GET %s: %d %q", RecordsPublicKeyPath, status, ctype)
	}
	pub, err := launchrecord.ParsePublicKey([]byte(body))
	if err != nil {
		t.Fatalf("GET %s is not a public key: %v", RecordsPublicKeyPath, err)
	}
	key, err := launchrecord.ParsePrivateKey([]byte(testRecordsKey))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(key.Public()) {
		t.Error("the public key served is not the configured key's")
	}
	if strings.Contains(body, "PRIVATE") {
		t.Error("the route serves the private key")
	}
}

// TestLaunchRecordInTheStore: the posted record is kept in the store byte
// for byte; a store that fails loses nothing of the comment, and the
// failure is logged and counted.
func TestLaunchRecordInTheStore(t *testing.T) {
	tests := []struct {
		name        string
		breakStore  bool
		wantStored  int
		wantFailure string // the store failures counter after the merge
	}{
		{name: "the store keeps the record", breakStore: false, wantStored: 1, wantFailure: "0"},
		// Two failures: removing the open row, and keeping the record.
		{name: "a failing store loses nothing of the comment", breakStore: true, wantStored: 0, wantFailure: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			url := "sqlite:" + filepath.Join(t.TempDir(), "launchgate.db")
			st, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			h := newHumanHarness(t, nil, func(_ *Config, o *Options) { o.Store = st })
			s := demo.New(testNow)
			n, _ := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
			if tt.breakStore {
				st.Close()
			}
			h.sim.MergePR("acme", "orders", n, "admin")
			h.settle()
			_, line := h.record(n)
			if got := h.metric(metricStoreFailures); got != tt.wantFailure {
				t.Errorf("%s = %s, want %s", metricStoreFailures, got, tt.wantFailure)
			}
			if tt.breakStore {
				if !strings.Contains(h.logs.String(), "launch record posted but not stored") {
					t.Errorf("the store failure is not logged:\n%s", h.logs.String())
				}
				return
			}
			stored, err := st.Records(ctx, store.RecordFilter{Repo: "acme/orders"})
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != tt.wantStored || !bytes.Equal(stored[0].Line, line) || stored[0].PR != n {
				t.Errorf("stored records %+v, want #%d's line %s", stored, n, line)
			}
		})
	}
}

// metric is the value of an unlabelled metric.
func (h *harness) metric(name string) string {
	h.t.Helper()
	_, body := get(h.t, h.internalURL+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	h.t.Fatalf("/metrics has no %s line", name)
	return ""
}
