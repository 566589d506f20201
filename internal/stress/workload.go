package stress

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
)

// The organisation every workload runs in. Its repositories start as the
// demo's orders service before its launch (demo.Story.Main).
const (
	org         = "acme"
	launchLabel = "launch" // the default policy's launch label
	// launchEvery: one pull request in 20 is a launch PR. Launches are rare
	// next to everyday changes; this ratio is generous so that the
	// expensive evaluations are well represented.
	launchEvery = 20
	// flipEvery: one everyday pull request in 10 is labelled "launch" as
	// its very last event, so that losing that one event shows.
	flipEvery = 10
	// ciJobs is how many check runs another App (the organisation's CI)
	// creates and completes on every head commit. launchgate receives them
	// because an App with checks:write is subscribed to every App's
	// check_run events (GitHub community discussion 210531).
	ciJobs = 4
)

// stepKind is one thing that happens to a pull request.
type stepKind int

const (
	stepOpen    stepKind = iota // push the branch, open the pull request
	stepPush                    // push a commit to the head branch
	stepCI                      // the CI App's check runs on the head
	stepComment                 // someone comments
	stepReview                  // someone reviews
	stepLabel                   // someone adds a label
	stepTitle                   // someone edits the title
)

// step is one action of a pull request's script.
type step struct {
	kind  stepKind
	files map[string]string // stepOpen, stepPush
	label string            // stepLabel; stepOpen: the label it opens with
	title string            // stepOpen, stepTitle
}

// events is the number of webhooks the step delivers to launchgate, not
// counting the check_run echoes of launchgate's own runs.
func (s step) events() int {
	switch s.kind {
	case stepOpen:
		return 2 // check_suite requested for the new branch, pull_request opened
	case stepPush:
		return 2 // check_suite requested, pull_request synchronize
	case stepCI:
		return 2*ciJobs + 1 // created and completed per job, then check_suite completed
	default:
		return 1
	}
}

// cycle is the order in which a script's middle repeats: pushes (each
// followed by CI) interleaved with the conversation around them. It is the
// typical pull request of launch/scaling.md, extended for longer scripts.
var cycle = []stepKind{stepComment, stepReview, stepPush, stepComment, stepLabel, stepPush, stepReview, stepTitle, stepComment, stepPush}

// PR is one pull request of a workload: its script, the state the script
// leaves it in, and the check run that state must end with.
type PR struct {
	Repo   string
	Branch string
	Launch bool // the final state is a launch PR
	Flip   bool // an everyday PR labelled "launch" at the end

	steps  []step
	title  string
	labels []string
	files  map[string]string // the head tree
	want   expectation

	// Set while the script runs.
	number int
	head   string
}

// expectation is the run a pull request's final state must have.
type expectation struct {
	conclusion, title string
}

// Name is "repo#number" once opened, else the branch.
func (p *PR) Name() string {
	if p.number == 0 {
		return p.Repo + ":" + p.Branch
	}
	return fmt.Sprintf("%s#%d", p.Repo, p.number)
}

// events is the number of webhooks the script delivers.
func (p *PR) events() int {
	n := 0
	for _, s := range p.steps {
		n += s.events()
	}
	return n
}

// workload is the organisation's repositories and the pull requests to
// play on them.
type workload struct {
	story demo.Story
	repos []string
	prs   []*PR
}

// newWorkload plans prs pull requests of about eventsPerPR webhooks each
// over repos repositories. seed makes it reproducible; now dates the
// demo's recovery drill and is the clock expectations are evaluated at.
// first numbers the branches, so that several workloads can share
// repositories.
func newWorkload(repos, prs, eventsPerPR int, seed uint64, now time.Time, first int) (*workload, error) {
	w := &workload{story: demo.New(now)}
	for i := range repos {
		w.repos = append(w.repos, fmt.Sprintf("svc-%02d", i))
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	for i := range prs {
		n := first + i
		p := w.plan(n, w.repos[rng.IntN(len(w.repos))], n%launchEvery == 0, n%launchEvery != 0 && n%flipEvery == 3, eventsPerPR, rng)
		w.prs = append(w.prs, p)
	}
	pol, err := policy.Default()
	if err != nil {
		return nil, fmt.Errorf("stress: the default policy: %w", err)
	}
	for _, p := range w.prs {
		p.want = expect(pol, p, now)
	}
	return w, nil
}

// plan writes one pull request's script.
func (w *workload) plan(n int, repo string, launch, flip bool, target int, rng *rand.Rand) *PR {
	p := &PR{Repo: repo, Branch: fmt.Sprintf("change-%d", n), Launch: launch || flip, Flip: flip, files: maps.Clone(w.story.Main)}
	rev := 0
	// edit changes an ordinary file, so that every push is a new commit.
	edit := func() map[string]string {
		rev++
		return map[string]string{
			"cmd/orders/main.go":                w.story.Main["cmd/orders/main.go"] + fmt.Sprintf("\n// change %d, revision %d\n", n, rev),
			fmt.Sprintf("docs/change-%d.md", n): fmt.Sprintf("# Change %d\n\nRevision %d.\n", n, rev),
		}
	}
	// A launch PR completes kit pushes of the demo's launch kit by its last
	// push: every other one all four (only sign-offs and approvals left:
	// action_required), the others fewer (an automatic check still fails:
	// failure).
	kit, applied := len(w.story.Pushes), 0
	if (n/launchEvery)%2 == 1 {
		kit = rng.IntN(len(w.story.Pushes))
	}
	open := step{kind: stepOpen, title: fmt.Sprintf("Fix the orders service (change %d)", n), files: edit()}
	if launch {
		open.title = fmt.Sprintf("Launch the %s service (change %d)", repo, n)
		maps.Copy(open.files, w.story.Opened)
		open.label = launchLabel
	}
	p.add(open)
	p.add(step{kind: stepCI})
	push := func(last bool) step {
		files := edit()
		for launch && applied < kit && (last || applied == 0 || rng.IntN(2) == 0) {
			maps.Copy(files, w.story.Pushes[applied].Files)
			applied++
		}
		return step{kind: stepPush, files: files}
	}
	tail := step{kind: stepPush}.events() + step{kind: stepCI}.events()
	if flip {
		tail += step{kind: stepLabel}.events()
	}
	for i := 0; p.events()+tail < target; i++ {
		switch k := cycle[i%len(cycle)]; k {
		case stepPush:
			if p.events()+2*tail > target {
				continue // the last push is the tail's
			}
			p.add(push(false))
			p.add(step{kind: stepCI})
		case stepLabel:
			p.add(step{kind: stepLabel, label: "needs-review"})
		case stepTitle:
			p.add(step{kind: stepTitle, title: p.title + " (rev " + fmt.Sprint(rev) + ")"})
		default:
			p.add(step{kind: k})
		}
	}
	// The last push decides the head tree, and for a flip the label
	// decides that it is a launch PR after all.
	p.add(push(true))
	p.add(step{kind: stepCI})
	if flip {
		p.add(step{kind: stepLabel, label: launchLabel})
	}
	return p
}

// add appends a step and applies it to the planned final state.
func (p *PR) add(s step) {
	p.steps = append(p.steps, s)
	for k, v := range s.files {
		if v == "" {
			delete(p.files, k)
		} else {
			p.files[k] = v
		}
	}
	if s.kind == stepOpen || s.kind == stepTitle {
		p.title = s.title
	}
	if (s.kind == stepOpen || s.kind == stepLabel) && s.label != "" && !slices.Contains(p.labels, s.label) {
		p.labels = append(p.labels, s.label)
	}
}

// expect is the oracle: the run a pull request's final state must have,
// evaluated here directly, without the App. By construction of the
// scripts a pull request is a launch PR exactly when it carries the
// default policy's launch label (launch PRs also change launch/**, and
// everyday ones never do, nor do their titles start with a launch prefix).
func expect(pol *policy.Policy, p *PR, now time.Time) expectation {
	if !slices.Contains(p.labels, launchLabel) {
		out, err := report.NotLaunchCheckRun("", report.CheckRunOptions{})
		if err != nil {
			panic("stress: rendering the not-launch run: " + err.Error()) // embedded templates
		}
		return expectation{conclusion: out.Conclusion, title: out.Title}
	}
	fsys := fstest.MapFS{}
	for path, content := range p.files {
		fsys[path] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	rep := readiness.Evaluate(pol, readiness.Snapshot{FS: fsys}, now)
	return expectation{conclusion: report.Conclusion(rep), title: report.Title(rep)}
}

// lifecycleEvents is the webhooks of the typical pull request of
// launch/scaling.md: its script (four heads) plus the check_run created
// and completed echoes of launchgate's own run on each head.
func lifecycleEvents() int {
	w := &workload{story: demo.New(time.Time{})}
	p := w.plan(1, "svc", false, false, typicalScriptEvents, rand.New(rand.NewPCG(1, 1)))
	heads := 0
	for _, s := range p.steps {
		if s.kind == stepOpen || s.kind == stepPush {
			heads++
		}
	}
	return p.events() + 2*heads
}

// typicalScriptEvents is the typical pull request's script: opened, three
// more pushes, CI on each of the four heads, three comments, two reviews,
// a label and a title edit.
const typicalScriptEvents = 51

// describe summarises a workload's mix for the report.
func (w *workload) describe() string {
	launch, flip := 0, 0
	conclusions := map[string]int{}
	for _, p := range w.prs {
		if p.Launch {
			launch++
		}
		if p.Flip {
			flip++
		}
		conclusions[p.want.conclusion]++
	}
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(conclusions)) {
		parts = append(parts, fmt.Sprintf("%d %s", conclusions[c], c))
	}
	return fmt.Sprintf("%d PRs on %d repositories, %d launch PRs (%d labelled at the end); expected runs: %s",
		len(w.prs), len(w.repos), launch, flip, strings.Join(parts, ", "))
}
