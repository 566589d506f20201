package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// fixtureRepo is a Repo over in-memory files.
func fixtureRepo(files map[string]string) *Repo {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return NewRepo(fsys, time.Time{}, nil)
}

// expectedFinding matches a Finding by path, line and fragments of its message.
type expectedFinding struct {
	path string
	line int
	msg  []string
}

func expectFindings(t *testing.T, got []Finding, want []expectedFinding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), dumpFindings(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Path != w.path || g.Line != w.line {
			t.Errorf("finding %d at %s:%d, want %s:%d (%s)", i, g.Path, g.Line, w.path, w.line, g.Message)
		}
		for _, frag := range w.msg {
			if !strings.Contains(g.Message, frag) {
				t.Errorf("finding %d message %q does not contain %q", i, g.Message, frag)
			}
		}
	}
}

func dumpFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s:%d: %s\n", f.Path, f.Line, f.Message)
	}
	return b.String()
}

// unlistableFS fails every Open, as a tree the App cannot fetch would.
type unlistableFS struct{}

func (unlistableFS) Open(string) (fs.File, error) { return nil, errors.New("tree unavailable") }

var containerOrInfra = []string{
	"**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile", "**/Containerfile",
	"**/*.tf", "**/Pulumi.yaml", "**/cdk.json",
}

func TestFilesValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Files
		want string // "" for valid
	}{
		{"any", Files{Any: containerOrInfra}, ""},
		{"all", Files{All: []string{"go.mod", "cmd/*/main.go"}}, ""},
		{"both", Files{Any: []string{"a"}, All: []string{"b"}, Message: "m"}, ""},
		{"neither", Files{Message: "add a Dockerfile"}, "set any"},
		{"bad any glob", Files{Any: []string{"ok", "src/[a"}}, `any[1]: "src/[a" is not a valid glob`},
		{"bad all glob", Files{All: []string{"{a,b"}}, `all[0]: "{a,b" is not a valid glob`},
		{"empty glob", Files{All: []string{""}}, "all[0] is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestFilesCheck(t *testing.T) {
	const msg = "add a Dockerfile or Containerfile, or infrastructure code (Terraform, Pulumi, CloudFormation)"
	for _, tc := range []struct {
		name  string
		files []string
		c     Files
		want  []expectedFinding
	}{
		{"root Dockerfile", []string{"Dockerfile", "main.go"}, Files{Any: containerOrInfra, Message: msg}, nil},
		{"nested Containerfile", []string{"build/api/Containerfile"}, Files{Any: containerOrInfra, Message: msg}, nil},
		{"Dockerfile variant", []string{"docker/Dockerfile.prod"}, Files{Any: containerOrInfra, Message: msg}, nil},
		{"Terraform only", []string{"infra/main.tf", "README.md"}, Files{Any: containerOrInfra, Message: msg}, nil},
		{"nothing", []string{"main.go", "docs/Dockerfile.md.txt/readme"}, Files{Any: containerOrInfra, Message: msg},
			[]expectedFinding{{"", 0, []string{`no file matches any of "**/Dockerfile", "**/Dockerfile.*"`, `"**/cdk.json"; ` + msg}}}},
		{"nothing, default message", []string{"main.go"}, Files{Any: []string{"**/*.tf"}},
			[]expectedFinding{{"", 0, []string{`no file matches any of "**/*.tf"; add a file that matches`}}}},
		{"all: each missing glob", []string{"go.mod"}, Files{All: []string{"go.mod", "go.sum", "cmd/*/main.go"}},
			[]expectedFinding{{"", 0, []string{`no file matches "go.sum"`}}, {"", 0, []string{`no file matches "cmd/*/main.go"`}}}},
		{"any and all both fail", []string{"x"}, Files{Any: []string{"a", "b"}, All: []string{"c"}, Message: "m"},
			[]expectedFinding{{"", 0, []string{`any of "a", "b"; m`}}, {"", 0, []string{`no file matches "c"; m`}}}},
		{".git is not part of the tree", []string{".git/Dockerfile"}, Files{Any: []string{"**/Dockerfile"}},
			[]expectedFinding{{"", 0, []string{"no file matches"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			files := map[string]string{}
			for _, f := range tc.files {
				files[f] = "x"
			}
			expectFindings(t, tc.c.Check(fixtureRepo(files)), tc.want)
		})
	}
}

func TestFilesCheckReadsNoContent(t *testing.T) {
	// A binary or oversized Dockerfile still counts: the check is about
	// presence, and it must not fetch blobs (its Inputs are empty).
	repo := fixtureRepo(map[string]string{"Dockerfile": "\x00" + strings.Repeat("x", MaxFileSize+1)})
	c := &Files{Any: containerOrInfra}
	if got := c.Check(repo); len(got) != 0 {
		t.Fatalf("want pass, got:\n%s", dumpFindings(got))
	}
	if in := c.Inputs(); in != nil {
		t.Fatalf("Inputs = %q, want none", in)
	}
}

func TestFilesCheckListingError(t *testing.T) {
	for _, c := range []*Files{{Any: []string{"a"}}, {All: []string{"a"}}} {
		got := c.Check(NewRepo(unlistableFS{}, time.Time{}, nil))
		expectFindings(t, got, []expectedFinding{{"", 0, []string{"listing repository files", "tree unavailable"}}})
	}
}
