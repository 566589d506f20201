package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/signoff"
	"github.com/launchgate/launchgate/internal/yamlstrict"
)

// maxWaiversFile caps a waivers file: a list of a few short entries.
const maxWaiversFile = 256 << 10

// localWaiver is one entry of a --waivers file: the fields of a waiver
// command, and who would give it.
type localWaiver struct {
	Check  string `yaml:"check"`
	Until  string `yaml:"until"`
	Reason string `yaml:"reason"`
	By     string `yaml:"by"`
}

// loadWaivers reads a --waivers file (YAML, or JSON, which is YAML) and
// judges each entry as the App would, as far as it can locally: the check
// must be waivable under pol, the reason present and the date after today
// within max_days. Who may waive cannot be checked here, so the waivers
// applied are marked unverified. It returns the waivers to apply and a
// line per entry that is not; err is for a file that cannot be read.
func loadWaivers(file string, pol *policy.Policy, now time.Time) (map[string]readiness.Waiver, []string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxWaiversFile+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(data) > maxWaiversFile {
		return nil, nil, fmt.Errorf("%s is larger than %d bytes", file, maxWaiversFile)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", file, yamlstrict.SyntaxProblem(err, data))
	}
	var entries []localWaiver
	if doc := yamlstrict.Resolve(&root); doc != nil {
		if problems := yamlstrict.Decode(doc, &entries); len(problems) > 0 {
			lines := make([]string, len(problems))
			for i, p := range problems {
				lines[i] = file + ": " + p.String()
			}
			return nil, nil, fmt.Errorf("%s", strings.Join(lines, "\n"))
		}
	}
	waivers := map[string]readiness.Waiver{}
	var refused []string
	for i, w := range entries {
		rule, found := pol.WaiverRule(w.Check)
		_, dup := waivers[w.Check]
		why := ""
		switch {
		case !found:
			why = fmt.Sprintf("%q is not an automatic check of the policy (or names checks of several requirements)", w.Check)
		case !rule.Waivable:
			why = fmt.Sprintf("the policy does not let %s be waived", w.Check)
		case strings.TrimSpace(w.Reason) == "":
			why = "a waiver needs a reason"
		case strings.TrimSpace(w.By) == "":
			why = "a waiver needs by: the login of the member who gives it"
		case dup:
			why = fmt.Sprintf("%s is waived twice", w.Check)
		default:
			why = signoff.WaiverDateProblem(rule, w.Until, now)
		}
		if why != "" {
			refused = append(refused, fmt.Sprintf("%s: waiver %d (%s) not applied: %s", file, i+1, w.Check, why))
			continue
		}
		waivers[w.Check] = readiness.Waiver{By: strings.TrimPrefix(w.By, "@"), At: now, Until: w.Until,
			Reason: strings.TrimSpace(w.Reason), Unverified: true}
	}
	return waivers, refused, nil
}
