package inspect

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseFieldExpr(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string // canonical form
	}{
		{"backup.retention_days >= 30", "backup.retention_days >= 30"},
		{"  a.b==1  ", "a.b == 1"},
		{"spec.template.spec.containers[0].image matches \"^registry/\"", `spec.template.spec.containers[0].image matches "^registry/"`},
		{`metadata.labels."app.kubernetes.io/name" exists`, `metadata.labels."app.kubernetes.io/name" exists`},
		{"items[*].ttl <= 3600", "items[*].ttl <= 3600"},
		{"[1].name != null", "[1].name != null"},
		{`"plain" == "x"`, `plain == "x"`},
		{`a."" == true`, `a."" == true`},
		{"a < -1.5e3", "a < -1500"},
		{"a > 0.25", "a > 0.25"},
		{"a == false", "a == false"},
		{"exists exists", "exists exists"},
		{"a-b_c.9 == \"tab\\there\"", `a-b_c.9 == "tab\there"`},
		{"a >= \"2025-01-01\"", `a >= "2025-01-01"`},
	} {
		e, err := parseFieldExpr(tc.src)
		if err != nil {
			t.Errorf("parseFieldExpr(%q): %v", tc.src, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("parseFieldExpr(%q).String() = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestParseFieldExprErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string // the column and the token the error must name
	}{
		{"", `column 1: expected a field name`},
		{"== 3", `column 1: expected a field name (letters, digits, _ and -, or a double-quoted key), found "=="`},
		{"a. == 3", `column 3: expected a field name`},
		{"a.b", "column 4: expected an operator (==, !=, >=, <=, >, <, exists, matches), found the end of the assertion"},
		{"a = 3", `column 3: expected an operator`},
		{"a/b == 3", `column 2: expected an operator (==, !=, >=, <=, >, <, exists, matches), found "/b"`},
		{"a existsx", `column 3: expected an operator`},
		{"a >= 30d", `column 6: "30d" is not a literal`},
		{"a == yes", `column 6: "yes" is not a literal`},
		{"a ==", `column 5: expected a literal after ==`},
		{"a == 1 2", `column 8: unexpected "2" after the end of the assertion`},
		{"a exists 1", `column 10: unexpected "1"`},
		{`a == "open`, `column 6: unterminated or malformed quoted string "\"open"`},
		{"a[x] == 1", `column 3: index "x" is not a list index`},
		{"a[-1] == 1", `index "-1" is not a list index`},
		{"a[99999999999999999999] == 1", `is not a list index`},
		{"a[0 == 1", `column 2: unterminated index "[0"`},
		{"a matches 3", `column 11: matches needs a double-quoted regular expression, found "3"`},
		{`a matches "("`, `column 11: invalid regular expression "("`},
		{"a > true", `column 5: > compares numbers or strings, not true`},
		{"a <= null", `column 6: <= compares numbers or strings, not null`},
		{"a == 1e999", `column 6: number 1e999 is out of range`},
		{"ключ == 1", `column 1: expected a field name`},
		{`"ключ" == ю`, `column 11: "ю" is not a literal`},
	} {
		_, err := parseFieldExpr(tc.src)
		if err == nil {
			t.Errorf("parseFieldExpr(%q) succeeded, want error containing %q", tc.src, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFieldExpr(%q) = %q, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestFieldValidate(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "files", check: &Field{Files: "*.yaml", Assert: "a exists"}},
		{name: "paths", check: &Field{Paths: []string{"a.yaml", "b/**/*.json"}, Assert: "a exists", Require: "any"}},
		{name: "both", check: &Field{Files: "x.yaml", Paths: []string{"y.yaml"}, Assert: "a exists", Require: "all"}},
		{name: "no files", check: &Field{Assert: "a exists"}, err: "set files"},
		{name: "bad glob", check: &Field{Files: "a/[x", Assert: "a exists"}, err: `files: "a/[x" is not a valid glob`},
		{name: "bad paths glob", check: &Field{Files: "ok.yaml", Paths: []string{"ok.json", "{a"}, Assert: "a exists"}, err: `paths[1]: "{a" is not a valid glob`},
		{name: "empty path glob", check: &Field{Paths: []string{""}, Assert: "a exists"}, err: "paths[0] is empty"},
		{name: "no assert", check: &Field{Files: "a.yaml"}, err: "assert is required"},
		{name: "bad assert", check: &Field{Files: "a.yaml", Assert: "a >> 1"}, err: `assert "a >> 1": column 4: ">" is not a literal`},
		{name: "bad require", check: &Field{Files: "a.yaml", Assert: "a exists", Require: "most"}, err: `require is "most", want all or any`},
	})
}

func TestFieldInputs(t *testing.T) {
	c := Field{Files: "deploy/*.yaml", Paths: []string{"backup.json"}, Assert: "a exists"}
	got := strings.Join(c.Inputs(), " ")
	if got != "deploy/*.yaml backup.json" {
		t.Fatalf("Inputs = %q", got)
	}
}

const backupYAML = `# backup policy
backup:
  schedule: daily
  retention_days: 7
  encrypted: true
  bucket: null
  targets:
    - name: db
      ttl: 3600
    - name: files
      ttl: 7200
  labels:
    app.kubernetes.io/name: api
`

func TestFieldCheck(t *testing.T) {
	backup := map[string]string{"backup.yaml": backupYAML}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		c       Field
		want    []expectedFinding
		wantNil bool
	}{
		{"number >= fails with the value's line", backup, Field{Files: "backup.yaml", Assert: "backup.retention_days >= 30", Message: "keep backups for 30 days"},
			[]expectedFinding{{"backup.yaml", 4, []string{"backup.retention_days is 7; want backup.retention_days >= 30\nfix: keep backups for 30 days"}}}, false},
		{"number <= passes", backup, Field{Files: "backup.yaml", Assert: "backup.retention_days <= 7"}, nil, true},
		{"number < fails", backup, Field{Files: "backup.yaml", Assert: "backup.retention_days < 7"},
			[]expectedFinding{{"backup.yaml", 4, []string{"is 7; want backup.retention_days < 7"}}}, false},
		{"number > passes", backup, Field{Files: "backup.yaml", Assert: "backup.retention_days > 6.5"}, nil, true},
		{"number == passes numerically", backup, Field{Files: "backup.yaml", Assert: "backup.retention_days == 7.0"}, nil, true},
		{"string == passes", backup, Field{Files: "backup.yaml", Assert: `backup.schedule == "daily"`}, nil, true},
		{"string != fails", backup, Field{Files: "backup.yaml", Assert: `backup.schedule != "daily"`},
			[]expectedFinding{{"backup.yaml", 3, []string{`backup.schedule is the string "daily"; want backup.schedule != "daily"`}}}, false},
		{"string ordering is byte-wise", backup, Field{Files: "backup.yaml", Assert: `backup.schedule > "da"`}, nil, true},
		{"bool == passes", backup, Field{Files: "backup.yaml", Assert: "backup.encrypted == true"}, nil, true},
		{"bool == fails", backup, Field{Files: "backup.yaml", Assert: "backup.encrypted == false"},
			[]expectedFinding{{"backup.yaml", 5, []string{"backup.encrypted is true; want backup.encrypted == false"}}}, false},
		{"null == passes", backup, Field{Files: "backup.yaml", Assert: "backup.bucket == null"}, nil, true},
		{"null != fails", backup, Field{Files: "backup.yaml", Assert: "backup.bucket != null"},
			[]expectedFinding{{"backup.yaml", 6, []string{"backup.bucket is null; want backup.bucket != null"}}}, false},
		{"!= null passes on any value", backup, Field{Files: "backup.yaml", Assert: "backup.targets != null"}, nil, true},
		{"exists passes on null", backup, Field{Files: "backup.yaml", Assert: "backup.bucket exists"}, nil, true},
		{"matches passes", backup, Field{Files: "backup.yaml", Assert: `backup.schedule matches "^(daily|hourly)$"`}, nil, true},
		{"matches numbers by their text", backup, Field{Files: "backup.yaml", Assert: `backup.retention_days matches "^[0-9]+$"`}, nil, true},
		{"matches fails", backup, Field{Files: "backup.yaml", Assert: `backup.schedule matches "^hourly$"`},
			[]expectedFinding{{"backup.yaml", 3, []string{`backup.schedule is the string "daily", which does not match`}}}, false},
		{"matches on a mapping", backup, Field{Files: "backup.yaml", Assert: `backup matches "x"`},
			[]expectedFinding{{"backup.yaml", 3, []string{"backup is a mapping, not text a regular expression can match"}}}, false},
		{"missing key names the parent's line", backup, Field{Files: "backup.yaml", Assert: "backup.offsite exists"},
			[]expectedFinding{{"backup.yaml", 3, []string{`backup.offsite is missing: backup has no key "offsite"; want backup.offsite exists`}}}, false},
		{"missing top-level key", backup, Field{Files: "backup.yaml", Assert: "restore.tested == true"},
			[]expectedFinding{{"backup.yaml", 2, []string{`the document has no key "restore"`}}}, false},
		{"key under a scalar", backup, Field{Files: "backup.yaml", Assert: "backup.schedule.cron exists"},
			[]expectedFinding{{"backup.yaml", 3, []string{`backup.schedule is the string "daily", not a mapping with key "cron"`}}}, false},
		{"quoted key", backup, Field{Files: "backup.yaml", Assert: `backup.labels."app.kubernetes.io/name" == "api"`}, nil, true},
		{"quoted key missing", backup, Field{Files: "backup.yaml", Assert: `backup.labels."app.kubernetes.io/part-of" exists`},
			[]expectedFinding{{"backup.yaml", 13, []string{`has no key "app.kubernetes.io/part-of"`}}}, false},
		{"list index", backup, Field{Files: "backup.yaml", Assert: `backup.targets[1].name == "files"`}, nil, true},
		{"list index out of range", backup, Field{Files: "backup.yaml", Assert: `backup.targets[2].name exists`},
			[]expectedFinding{{"backup.yaml", 8, []string{"backup.targets has 2 elements, so no [2]"}}}, false},
		{"index into a mapping", backup, Field{Files: "backup.yaml", Assert: `backup[0] exists`},
			[]expectedFinding{{"backup.yaml", 3, []string{"backup is a mapping, not a list"}}}, false},
		{"every element passes", backup, Field{Files: "backup.yaml", Assert: "backup.targets[*].ttl >= 3600"}, nil, true},
		{"every element: each failure at its line", backup, Field{Files: "backup.yaml", Assert: "backup.targets[*].ttl > 5000"},
			[]expectedFinding{{"backup.yaml", 9, []string{"backup.targets[*].ttl is 3600; want backup.targets[*].ttl > 5000"}}}, false},
		{"every element of an empty list", map[string]string{"a.yaml": "items: []\n"}, Field{Files: "a.yaml", Assert: "items[*].ttl > 0"},
			[]expectedFinding{{"a.yaml", 1, []string{"items is an empty list, so no element shows it"}}}, false},
		{"every element of a mapping", backup, Field{Files: "backup.yaml", Assert: "backup[*] exists"},
			[]expectedFinding{{"backup.yaml", 3, []string{"backup is a mapping, not a list"}}}, false},
		{"type mismatch: quoted number", map[string]string{"a.yaml": "days: \"30\"\n"}, Field{Files: "a.yaml", Assert: "days >= 30"},
			[]expectedFinding{{"a.yaml", 1, []string{`days is the string "30", not a number, so it cannot be compared`}}}, false},
		{"type mismatch: yes is not a boolean", map[string]string{"a.yaml": "on: yes\n"}, Field{Files: "a.yaml", Assert: "on == true"},
			[]expectedFinding{{"a.yaml", 1, []string{`on is the string "yes", not a boolean`}}}, false},
		{"type mismatch: list vs number", backup, Field{Files: "backup.yaml", Assert: "backup.targets == 2"},
			[]expectedFinding{{"backup.yaml", 8, []string{"backup.targets is a list of 2 elements, not a number"}}}, false},
		{"type mismatch: number vs string", backup, Field{Files: "backup.yaml", Assert: `backup.retention_days != "7"`},
			[]expectedFinding{{"backup.yaml", 4, []string{"backup.retention_days is 7, not a string"}}}, false},
		{"yaml number forms", map[string]string{"a.yaml": "hex: 0x1F\nexp: 1e3\n"}, Field{Files: "a.yaml", Assert: "hex == 31"}, nil, true},
		{"NaN compares with nothing", map[string]string{"a.yaml": "x: .nan\n"}, Field{Files: "a.yaml", Assert: "x >= 0"},
			[]expectedFinding{{"a.yaml", 1, []string{"x is .nan, which compares with nothing"}}}, false},
		{"timestamp is text", map[string]string{"a.yaml": "drill: 2025-03-01\n"}, Field{Files: "a.yaml", Assert: `drill >= "2025-01-01"`}, nil, true},
		{"custom tag is text", map[string]string{"a.yaml": "bucket: !Ref Backups\n"}, Field{Files: "a.yaml", Assert: `bucket == "Backups"`}, nil, true},
		{"aliases and merge keys", map[string]string{"a.yaml": "defaults: &d\n  retention: 30\nprod:\n  <<: *d\n  region: eu\nstaging:\n  <<: [*d]\n  retention: 1\n"},
			Field{Files: "a.yaml", Assert: "prod.retention >= 30"}, nil, true},
		{"explicit key wins over merge", map[string]string{"a.yaml": "defaults: &d\n  retention: 30\nstaging:\n  <<: [*d]\n  retention: 1\n"},
			Field{Files: "a.yaml", Assert: "staging.retention >= 30"},
			[]expectedFinding{{"a.yaml", 5, []string{"staging.retention is 1"}}}, false},
		{"top-level list", map[string]string{"a.yaml": "- name: a\n- name: b\n"}, Field{Files: "a.yaml", Assert: "[*].name exists"}, nil, true},
		{"JSON", map[string]string{"a.json": "{\n\t\"backup\": {\n\t\t\"retention_days\": 3\n\t}\n}\n"}, Field{Files: "*.json", Assert: "backup.retention_days >= 30"},
			[]expectedFinding{{"a.json", 3, []string{"backup.retention_days is 3"}}}, false},
		{"multi-document: every document", map[string]string{"a.yaml": "kind: A\nreplicas: 3\n---\nkind: B\nreplicas: 1\n---\nkind: C\n"},
			Field{Files: "a.yaml", Assert: "replicas >= 2"},
			[]expectedFinding{{"a.yaml", 5, []string{"replicas is 1"}}, {"a.yaml", 7, []string{`replicas is missing: the document has no key "replicas"`}}}, false},
		{"multi-document: any", map[string]string{"a.yaml": "replicas: 1\n---\nreplicas: 3\n"},
			Field{Files: "a.yaml", Assert: "replicas >= 2", Require: "any"}, nil, true},
		{"multi-document: trailing separator is no document", map[string]string{"a.yaml": "---\nreplicas: 3\n---\n"},
			Field{Files: "a.yaml", Assert: "replicas >= 2"}, nil, true},
		{"any: none satisfies", map[string]string{"a.yaml": "replicas: 1\n", "b.yaml": "replicas: 0\n"},
			Field{Paths: []string{"*.yaml"}, Assert: "replicas >= 2", Require: "any"},
			[]expectedFinding{{"a.yaml", 1, []string{"replicas is 1", "one document that satisfies it is enough"}}, {"b.yaml", 1, []string{"replicas is 0"}}}, false},
		{"any: a malformed file does not matter when another satisfies", map[string]string{"a.yaml": "replicas: [\n", "b.yaml": "replicas: 2\n"},
			Field{Paths: []string{"*.yaml"}, Assert: "replicas >= 2", Require: "any"}, nil, true},
		{"all: every file", map[string]string{"a/x.yaml": "replicas: 2\n", "b/x.yaml": "replicas: 1\n"},
			Field{Files: "*/x.yaml", Assert: "replicas >= 2"},
			[]expectedFinding{{"b/x.yaml", 1, []string{"replicas is 1"}}}, false},
		{"no matching file", backup, Field{Files: "deploy/*.yaml", Assert: "a exists", Message: "add deploy/backup.yaml"},
			[]expectedFinding{{"", 0, []string{`no file matches "deploy/*.yaml", so nothing shows that a exists` + "\nfix: add deploy/backup.yaml"}}}, false},
		{"malformed YAML names the parser's line", map[string]string{"a.yaml": "a: 1\nb: c: d\n"}, Field{Files: "a.yaml", Assert: "a exists"},
			[]expectedFinding{{"a.yaml", 2, []string{"the file does not parse as YAML or JSON", "mapping values are not allowed"}}}, false},
		// yaml.v3 numbers parser (not scanner) errors by the 0-based line of
		// their context: the "[" opened on line 2 is reported as line 1.
		{"unclosed flow sequence", map[string]string{"a.yaml": "a: 1\nb: [\n  c\n"}, Field{Files: "a.yaml", Assert: "a exists"},
			[]expectedFinding{{"a.yaml", 2, []string{"did not find expected ',' or ']'"}}}, false},
		{"malformed later document: earlier ones still count", map[string]string{"a.yaml": "a: 0\n---\nb: :\n  - c\n"}, Field{Files: "a.yaml", Assert: "a >= 1"},
			[]expectedFinding{{"a.yaml", 1, []string{"a is 0"}}, {"a.yaml", 3, []string{"does not parse"}}}, false},
		{"malformed JSON", map[string]string{"a.json": "{\"a\": 1,,}\n"}, Field{Files: "a.json", Assert: "a exists"},
			[]expectedFinding{{"a.json", 1, []string{"does not parse"}}}, false},
		{"empty file", map[string]string{"a.yaml": "# nothing yet\n"}, Field{Files: "a.yaml", Assert: "a exists"},
			[]expectedFinding{{"a.yaml", 0, []string{"the file is empty, so nothing shows that a exists"}}}, false},
		{"binary file", map[string]string{"a.yaml": "a: 1\x00\n"}, Field{Files: "a.yaml", Assert: "a exists"},
			[]expectedFinding{{"a.yaml", 0, []string{"cannot check a exists", "binary file"}}}, false},
		{"oversized file", map[string]string{"a.yaml": "a: " + strings.Repeat("x", MaxFileSize) + "\n"}, Field{Files: "a.yaml", Assert: "a exists"},
			[]expectedFinding{{"a.yaml", 0, []string{"larger than the"}}}, false},
		{"alias fan-out is bounded", map[string]string{"a.yaml": aliasBomb()}, Field{Files: "a.yaml", Assert: "top[*][*][*][*] == 1"},
			[]expectedFinding{{"a.yaml", 1, []string{"reaches more than 10000 values"}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkValid(t, &tc.c, fixtureRepo(tc.files))
			if tc.wantNil {
				if len(got) != 0 {
					t.Fatalf("want no findings, got:\n%s", dumpFindings(got))
				}
				return
			}
			expectFindings(t, got, tc.want)
		})
	}
}

// aliasBomb is a small YAML file whose aliases expand to 16^4 values.
func aliasBomb() string {
	row := func(alias string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(alias+",", 16), ",") + "]"
	}
	return "a: &a " + row("1") + "\nb: &b " + row("*a") + "\nc: &c " + row("*b") + "\ntop: " + row("*c") + "\n"
}

func TestFieldCheckListingError(t *testing.T) {
	repo := NewRepo(unlistableFS{}, time.Time{}, nil)
	got := (&Field{Files: "*.yaml", Assert: "a exists"}).Check(repo)
	expectFindings(t, got, []expectedFinding{{"", 0, []string{"listing repository files"}}})
}

// TestFieldCheckManifests runs assertions over rendered Kubernetes
// manifests on disk: a multi-document YAML file and a JSON file.
func TestFieldCheckManifests(t *testing.T) {
	repo := NewRepo(os.DirFS("testdata/field/k8s"), time.Time{}, nil)
	for _, tc := range []struct {
		assert string
		want   []expectedFinding
	}{
		{`spec.template.spec.containers[*].image matches "^registry\\.example\\.com/"`,
			[]expectedFinding{{"deploy/api.yaml", 30, []string{`spec.template.spec.containers[*].image is the string "docker.io/library/worker:latest", which does not match`, "\nfix: use the internal registry"}}}},
		{"spec.replicas >= 2",
			[]expectedFinding{{"deploy/api.yaml", 25, []string{"spec.replicas is 1; want spec.replicas >= 2\nfix: use the internal registry"}}}},
		{`metadata.labels."app.kubernetes.io/name" exists`,
			[]expectedFinding{{"deploy/api.yaml", 23, []string{`metadata.labels."app.kubernetes.io/name" is missing: metadata.labels has no key "app.kubernetes.io/name"`}}}},
		{`spec.template.spec.containers[1].name == "proxy"`,
			[]expectedFinding{
				{"deploy/api.yaml", 29, []string{"spec.template.spec.containers has 1 element, so no [1]"}},
				{"deploy/db.json", 7, []string{"spec.template.spec.containers has 1 element, so no [1]"}},
			}},
		{`kind != "Job"`, nil},
	} {
		t.Run(tc.assert, func(t *testing.T) {
			c := &Field{Paths: []string{"deploy/*.yaml", "deploy/*.json"}, Assert: tc.assert, Message: "use the internal registry"}
			expectFindings(t, checkValid(t, c, repo), tc.want)
		})
	}
}
