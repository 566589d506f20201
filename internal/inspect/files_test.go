package inspect

import (
	"errors"
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

// unlistableFS fails every Open, as a tree the App cannot fetch would.
type unlistableFS struct{}

func (unlistableFS) Open(string) (fs.File, error) { return nil, errors.New("tree unavailable") }

var containerOrInfra = []string{
	"**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile", "**/Containerfile",
	"**/*.tf", "**/Pulumi.yaml", "**/cdk.json",
}

func TestFilesValidate(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "any", check: &Files{Any: containerOrInfra}},
		{name: "all", check: &Files{All: []string{"go.mod", "cmd/*/main.go"}}},
		{name: "both", check: &Files{Any: []string{"a"}, All: []string{"b"}, Message: "m"}},
		{name: "neither", check: &Files{Message: "add a Dockerfile"}, err: "set any"},
		{name: "bad any glob", check: &Files{Any: []string{"ok", "src/[a"}}, err: `any[1]: "src/[a" is not a valid glob`},
		{name: "bad all glob", check: &Files{All: []string{"{a,b"}}, err: `all[0]: "{a,b" is not a valid glob`},
		{name: "empty glob", check: &Files{All: []string{""}}, err: "all[0] is empty"},
	})
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
			[]expectedFinding{{"", 0, []string{`no file matches any of "**/Dockerfile", "**/Dockerfile.*", "**/*.Dockerfile" or 4 more of the check's globs` + "\nfix: " + msg}}}},
		{"nothing, default message", []string{"main.go"}, Files{Any: []string{"**/*.tf"}},
			[]expectedFinding{{"", 0, []string{`no file matches any of "**/*.tf"` + "\nfix: add a file that matches"}}}},
		{"all: each missing glob", []string{"go.mod"}, Files{All: []string{"go.mod", "go.sum", "cmd/*/main.go"}},
			[]expectedFinding{{"", 0, []string{`no file matches "go.sum"`}}, {"", 0, []string{`no file matches "cmd/*/main.go"`}}}},
		{"any and all both fail", []string{"x"}, Files{Any: []string{"a", "b"}, All: []string{"c"}, Message: "m"},
			[]expectedFinding{{"", 0, []string{`any of "a", "b"` + "\nfix: m"}}, {"", 0, []string{`no file matches "c"` + "\nfix: m"}}}},
		{".git is not part of the tree", []string{".git/Dockerfile"}, Files{Any: []string{"**/Dockerfile"}},
			[]expectedFinding{{"", 0, []string{"no file matches"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tc.files {
				files[f] = "x"
			}
			expectFindings(t, checkValid(t, &tc.c, fixtureRepo(files)), tc.want)
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
