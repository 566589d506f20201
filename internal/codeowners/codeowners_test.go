package codeowners

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// githubExample holds the rules of the example file in GitHub's "About code
// owners" page, in the documented order; the comments are ours.
const githubExample = `# GitHub's documented example, one rule per example block.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/apps/ @octocat
/apps/github @doctocat
`

// TestGitHubExampleRules checks each example rule on its own against the
// paths its comment in the docs describes.
func TestGitHubExampleRules(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{"*", []string{"README.md", "src/main.c", ".github/workflows/ci.yml"}, nil},
		{"*.js", []string{"app.js", "web/static/app.js"}, []string{"app.jsx", "app.js.map", "js"}},
		{"*.go", []string{"main.go", "cmd/x/main.go"}, []string{"main.gob"}},
		{"*.txt", []string{"notes.txt", "a/b/notes.txt"}, []string{"notes.txt.bak"}},
		{"/build/logs/", []string{"build/logs/app.log", "build/logs/2024/01/app.log"},
			[]string{"build/logs", "build/app.log", "src/build/logs/app.log"}},
		{"docs/*", []string{"docs/getting-started.md"},
			[]string{"docs/build-app/troubleshooting.md", "docs", "src/docs/getting-started.md"}},
		{"apps/", []string{"apps/main.c", "src/apps/main.c", "a/b/apps/c/d.go"}, []string{"apps", "myapps/main.c", "src/apps"}},
		{"/docs/", []string{"docs/index.md", "docs/build-app/troubleshooting.md"}, []string{"docs", "src/docs/index.md"}},
		{"/scripts/", []string{"scripts/deploy.sh", "scripts/ci/lint.sh"}, []string{"tools/scripts/deploy.sh"}},
		{"**/logs", []string{"build/logs/a.log", "scripts/logs/a.log", "deeply/nested/logs/a.log", "logs/a.log", "logs"},
			[]string{"catalogs/a", "build/logsx/a"}},
		{"/apps/github", []string{"apps/github", "apps/github/hooks.rb"}, []string{"apps/githubber", "src/apps/github/x"}},
	}
	for _, tt := range tests {
		f := Parse("CODEOWNERS", []byte(tt.pattern+" @o\n"))
		if len(f.Invalid) != 0 || len(f.Rules) != 1 {
			t.Fatalf("%q: rules %d, invalid %v", tt.pattern, len(f.Rules), f.Invalid)
		}
		for _, p := range tt.match {
			if f.Match(p) == nil {
				t.Errorf("%q should match %q", tt.pattern, p)
			}
		}
		for _, p := range tt.noMatch {
			if f.Match(p) != nil {
				t.Errorf("%q should not match %q", tt.pattern, p)
			}
		}
	}
}

// TestGitHubExampleFile checks the example as a whole: later rules win.
func TestGitHubExampleFile(t *testing.T) {
	full := Parse(".github/CODEOWNERS", []byte(githubExample))
	if len(full.Invalid) != 0 {
		t.Fatalf("invalid lines in GitHub's own example: %v", full.Invalid)
	}
	// Up to the first "/apps/github" rule, the one without owners.
	lines := strings.SplitAfter(githubExample, "\n")
	unowning := Parse("CODEOWNERS", []byte(strings.Join(lines[:13], "")))

	tests := []struct {
		file   *File
		path   string
		line   int
		owners []string
	}{
		{full, "README.md", 2, []string{"@global-owner1", "@global-owner2"}},
		{full, "src/index.js", 3, []string{"@js-owner"}},
		{full, "build/app.js", 3, []string{"@js-owner"}},
		{full, "main.go", 4, []string{"docs@example.com"}},
		{full, "notes/todo.txt", 5, []string{"@octo-org/octocats"}},
		{full, "build/logs/app.log", 11, []string{"@octocat"}}, // **/logs comes after /build/logs/
		{full, "deeply/nested/logs/app.log", 11, []string{"@octocat"}},
		{full, "docs/getting-started.md", 9, []string{"@doctocat"}}, // /docs/ comes after docs/*
		{full, "docs/build-app/troubleshooting.md", 9, []string{"@doctocat"}},
		{full, "lib/docs/readme.md", 2, []string{"@global-owner1", "@global-owner2"}},
		{full, "src/apps/main.c", 8, []string{"@octocat"}},
		{full, "scripts/deploy.sh", 10, []string{"@doctocat", "@octocat"}},
		{full, "scripts/build.js", 10, []string{"@doctocat", "@octocat"}},
		{full, "apps/main.c", 14, []string{"@octocat"}},
		{full, "apps/github/hooks.rb", 15, []string{"@doctocat"}},
		{unowning, "apps/main.c", 12, []string{"@octocat"}},
		{unowning, "apps/github/hooks.rb", 13, nil},
	}
	for _, tt := range tests {
		r := tt.file.Match(tt.path)
		if r == nil {
			t.Errorf("%s: no rule matched, want line %d", tt.path, tt.line)
			continue
		}
		if r.Line != tt.line || !slices.Equal(r.Owners, tt.owners) {
			t.Errorf("%s: line %d owners %q, want line %d owners %q", tt.path, r.Line, r.Owners, tt.line, tt.owners)
		}
	}
}

func TestPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		// A name without a slash floats to any depth and owns directories of
		// that name.
		{"foo", "foo", true},
		{"foo", "a/b/foo", true},
		{"foo", "foo/x", true},
		{"foo", "a/foo/x/y", true},
		{"foo", "foobar", false},
		{"foo", "a/foo.txt", false},
		// A leading or middle slash anchors to the root.
		{"/foo", "foo", true},
		{"/foo", "foo/x", true},
		{"/foo", "a/foo", false},
		{"foo/bar", "foo/bar", true},
		{"foo/bar", "foo/bar/x", true},
		{"foo/bar", "a/foo/bar", false},
		{"foo/bar", "foo/barx", false},
		// A trailing slash owns what is under a directory, never a file.
		{"foo/", "foo", false},
		{"foo/", "foo/x", true},
		{"foo/", "a/foo/x", true},
		{"/foo/", "a/foo/x", false},
		{"/foo/bar/", "foo/bar", false},
		{"/foo/bar/", "foo/bar/baz/qux", true},
		// "*" stays within one component; a final lone "*" owns direct
		// children only.
		{"*", "a", true},
		{"*", "a/b/c", true},
		{"/*", "top.md", true},
		{"/*", "dir/file", false},
		{"/*/", "dir/file", true},
		{"/*/", "top.md", false},
		{"docs/*", "docs/a/b", false},
		{"docs/*.md", "docs/a.md", true},
		{"docs/*.md", "docs/x/a.md", false},
		{"*.md", "x/y/a.md", true},
		{"*.md", "a.mdx", false},
		{"*.md", "notes.md/inner.txt", true},
		{"a*z", "ab/cz", false},
		{"a*z", "az", true},
		{"f*", "bar/foo/baz", true},
		{"/f*", "foo/bar", true},
		{"/f*", "bar/foo", false},
		{"foo/*/bar", "foo/x/bar", true},
		{"foo/*/bar", "foo/x/bar/y", true},
		{"foo/*/bar", "foo/bar", false},
		{"foo/*/bar", "foo/x/y/bar", false},
		// "**" crosses components.
		{"**", "a/b/c", true},
		{"/**", "a", true},
		{"**/foo", "foo", true},
		{"**/foo", "a/b/foo", true},
		{"**/foo", "a/foo/x", true},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/y/b/c", true},
		{"a/**/b", "x/a/b", false},
		{"docs/**", "docs/a/b", true},
		{"docs/**", "docs", false},
		{"docs/**/*.md", "docs/a.md", true},
		{"docs/**/*.md", "docs/x/y/a.md", true},
		{"docs/**/*.md", "other/a.md", false},
		{"a/**/b/**/c", "a/1/b/2/3/c", true},
		{"a/**/b/**/c", "a/1/c/2/b", false},
		{"**.go", "x/a.go", true}, // "**" inside a segment is a plain "*"
		{"**.go", "x/a.got", false},
		// "?" is one character, not a slash.
		{"f?o", "foo", true},
		{"f?o", "fo", false},
		{"f?o", "fooo", false},
		{"f?o", "féo", true},
		{"a?b", "a/b", false},
		// Escapes.
		{`My\ Docs/`, "My Docs/a.txt", true},
		{`My\ Docs/`, "My/a.txt", false},
		{`f\*o`, "f*o", true},
		{`f\*o`, "foo", false},
		{`f\?o`, "foo", false},
		{`a\#b`, "a#b", true},
		{"a#b", "a#b", true}, // "#" is a comment only at the start or after whitespace
		{`\!important.txt`, "!important.txt", true},
		{"lib[", "lib[", true}, // no closing "]": not a range
		// Paths are case-sensitive.
		{"/Docs/", "Docs/a", true},
		{"/Docs/", "docs/a", false},
		{"*.MD", "a.md", false},
	}
	for _, tt := range tests {
		f := Parse("CODEOWNERS", []byte(tt.pattern+" @o"))
		if len(f.Invalid) != 0 {
			t.Fatalf("%q: %v", tt.pattern, f.Invalid)
		}
		if got := f.Match(tt.path) != nil; got != tt.want {
			t.Errorf("%q matching %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	type rule struct {
		pattern string
		owners  []string
		line    int
	}
	tests := []struct {
		name string
		data string
		want []rule
	}{
		{"comments and blank lines", "# comment\n\n   \n\t# indented comment\n* @a\n", []rule{{"*", []string{"@a"}, 5}}},
		{"inline comment", "*.js @a #owner is @b\n", []rule{{"*.js", []string{"@a"}, 1}}},
		{"inline comment right after pattern", "*.js #@a\n", []rule{{"*.js", []string{}, 1}}},
		{"no owners", "/apps/github\n", []rule{{"/apps/github", []string{}, 1}}},
		{"no owners, trailing space", "/apps/github   \n", []rule{{"/apps/github", []string{}, 1}}},
		{"tabs and runs of spaces", "  *.go\t\t@a   b@c.io\t@org/t  \n", []rule{{"*.go", []string{"@a", "b@c.io", "@org/t"}, 1}}},
		{"CRLF", "# c\r\n*.go @a\r\n\r\n*.js @b\r\n", []rule{{"*.go", []string{"@a"}, 2}, {"*.js", []string{"@b"}, 4}}},
		{"no final newline", "*.go @a", []rule{{"*.go", []string{"@a"}, 1}}},
		{"byte-order mark", "\xef\xbb\xbf*.go @a\n", []rule{{"*.go", []string{"@a"}, 1}}},
		{"escaped spaces", `My\ Docs/ @a` + "\n", []rule{{`My\ Docs/`, []string{"@a"}, 1}}},
		{"owner forms", "* @user @emu_user @Org/Team-Name @org/team_x.y a.b+c@example.co.uk\n",
			[]rule{{"*", []string{"@user", "@emu_user", "@Org/Team-Name", "@org/team_x.y", "a.b+c@example.co.uk"}, 1}}},
		{"empty file", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Parse("CODEOWNERS", []byte(tt.data))
			if len(f.Invalid) != 0 {
				t.Fatalf("invalid: %v", f.Invalid)
			}
			var got []rule
			for _, r := range f.Rules {
				got = append(got, rule{r.Pattern, r.Owners, r.Line})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rules %v, want %v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.pattern != w.pattern || g.line != w.line || !slices.Equal(g.owners, w.owners) || g.owners == nil {
					t.Errorf("rule %d = %#v, want %#v", i, g, w)
				}
			}
		})
	}
}

// TestInvalidLines checks that each bad line is reported with its number and
// a reason naming the culprit, and that the lines around it still apply.
func TestInvalidLines(t *testing.T) {
	tests := []struct {
		line string
		want []string // substrings of the message
	}{
		{"!*.go @a", []string{`"!*.go"`, "negation"}},
		{"*.[ch] @a", []string{`"*.[ch]"`, "character ranges"}},
		{"[Dd]ocs/ @a", []string{"character ranges"}},
		{`\#notes.md @a`, []string{`"\#notes.md"`, `leading "#"`}},
		{"***/*.rb @a", []string{`"***"`, `"**"`}},
		{"/ @a", []string{`"/" never matches`}},
		{"a//b @a", []string{"empty path segment"}},
		{`foo\`, []string{`unfinished "\" escape`}},
		{"* user", []string{`owner "user"`, `missing "@"`}},
		{"* @a user", []string{`owner "user"`}},
		{"* @org/", []string{`owner "@org/"`, "empty team name"}},
		{"* @/team", []string{`owner "@/team"`, "empty organization name"}},
		{"* @", []string{`owner "@"`, "no username"}},
		{"* @a/b/c", []string{`owner "@a/b/c"`, `more than one "/"`}},
		{"* @us$er", []string{`owner "@us$er"`, "username"}},
		{"* @my_org/team", []string{`owner "@my_org/team"`, "organization name"}},
		{"* @org/te+am", []string{`owner "@org/te+am"`, "team name"}},
		{"* docs@", []string{`owner "docs@"`, "email"}},
		{"* @a docs@localhost", []string{`owner "docs@localhost"`, "email"}},
		{"* @a\x00b", []string{"NUL"}},
		{"* @a \xff\xfe", []string{"UTF-8"}},
		{"* @" + strings.Repeat("a", maxLineLen), []string{"bytes long"}},
	}
	for _, tt := range tests {
		data := "*.go @before\n" + tt.line + "\n*.js @after # still applies\n"
		f := Parse("CODEOWNERS", []byte(data))
		if len(f.Invalid) != 1 || f.Invalid[0].Line != 2 {
			t.Errorf("%.40q: invalid = %v, want line 2 only", tt.line, f.Invalid)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(f.Invalid[0].Message, w) {
				t.Errorf("%.40q: message %q does not mention %s", tt.line, f.Invalid[0].Message, w)
			}
		}
		if len(f.Rules) != 2 || f.Rules[0].Line != 1 || f.Rules[1].Line != 3 {
			t.Errorf("%.40q: valid lines not kept: %+v", tt.line, f.Rules)
		}
		if r := f.Match("x.go"); r == nil || r.Line != 1 {
			t.Errorf("%.40q: x.go matched %+v, want line 1", tt.line, r)
		}
	}
}

func TestBinaryFile(t *testing.T) {
	data := []byte("* @a\n\x00\x01\x02\xff\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n*.go @b\n")
	f := Parse("CODEOWNERS", data)
	if got := f.Match("x.go"); got == nil || got.Line != 6 {
		t.Errorf("x.go matched %+v, want line 6", got)
	}
	var lines []int
	for _, inv := range f.Invalid {
		lines = append(lines, inv.Line)
	}
	// Line 3 holds "\x89PNG": not UTF-8; line 4 is "\x1a", a harmless pattern
	// without owners.
	if want := []int{2, 3, 5}; !slices.Equal(lines, want) {
		t.Errorf("invalid lines %v, want %v (%v)", lines, want, f.Invalid)
	}
}

func TestLastMatchWins(t *testing.T) {
	f := Parse("CODEOWNERS", []byte("*.go @a\n/cmd/ @b\n*.go @c\n/cmd/tool/\n"))
	tests := []struct {
		path   string
		line   int
		owners []string
	}{
		{"x.go", 3, []string{"@c"}},
		{"cmd/main.go", 3, []string{"@c"}},
		{"cmd/README", 2, []string{"@b"}},
		{"cmd/tool/main.go", 4, nil},
	}
	for _, tt := range tests {
		r := f.Match(tt.path)
		if r == nil || r.Line != tt.line || !slices.Equal(r.Owners, tt.owners) {
			t.Errorf("%s: matched %+v, want line %d owners %q", tt.path, r, tt.line, tt.owners)
		}
	}
	if r := f.Match("README"); r != nil {
		t.Errorf("README matched %+v, want nil", r)
	}
	var none *File
	if none.Match("x.go") != nil || none.Teams("x.go", "acme") != nil {
		t.Error("a nil File matched")
	}
}

func TestTeams(t *testing.T) {
	f := Parse("CODEOWNERS", []byte("* @acme/Security @Acme/infra @other/security @acme/security @user a@b.io\n/docs/\n"))
	if got, want := f.Teams("main.go", "ACME"), []string{"security", "infra"}; !slices.Equal(got, want) {
		t.Errorf("Teams = %q, want %q", got, want)
	}
	if got := f.Teams("docs/a.md", "acme"); got != nil {
		t.Errorf("Teams of an unowned path = %q, want nil", got)
	}
	if got := f.Teams("main.go", ""); got != nil {
		t.Errorf("Teams for no org = %q, want nil", got)
	}
}

// errFS fails to open one file with a permission error.
type errFS struct {
	fstest.MapFS
	bad string
}

func (e errFS) Open(name string) (fs.File, error) {
	if name == e.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return e.MapFS.Open(name)
}

func TestFind(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fsys     fs.FS
		wantPath string // "" for no file
		wantErr  string
	}{
		{"github first", fstest.MapFS{
			".github/CODEOWNERS": file("* @gh"), "CODEOWNERS": file("* @root"), "docs/CODEOWNERS": file("* @docs"),
		}, ".github/CODEOWNERS", ""},
		{"root before docs", fstest.MapFS{"CODEOWNERS": file("* @root"), "docs/CODEOWNERS": file("* @docs")}, "CODEOWNERS", ""},
		{"docs last", fstest.MapFS{"docs/CODEOWNERS": file("* @docs")}, "docs/CODEOWNERS", ""},
		{"none", fstest.MapFS{"README.md": file("hi"), "src/CODEOWNERS": file("* @src")}, "", ""},
		{"directory is skipped", fstest.MapFS{".github/CODEOWNERS/x": file(""), "CODEOWNERS": file("* @root")}, "CODEOWNERS", ""},
		{"empty file counts", fstest.MapFS{".github/CODEOWNERS": file(""), "CODEOWNERS": file("* @root")}, ".github/CODEOWNERS", ""},
		{"just under 3 MB", fstest.MapFS{"CODEOWNERS": {Data: make([]byte, maxSize-1)}}, "CODEOWNERS", ""},
		{"3 MB is too large", fstest.MapFS{
			".github/CODEOWNERS": {Data: make([]byte, maxSize)}, "CODEOWNERS": file("* @root"),
		}, "", "GitHub ignores"},
		{"unreadable stops the search", errFS{fstest.MapFS{
			".github/CODEOWNERS": file("* @gh"), "CODEOWNERS": file("* @root"),
		}, ".github/CODEOWNERS"}, "", "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Find(tt.fsys)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case tt.wantPath == "":
				if f != nil {
					t.Fatalf("found %s, want none", f.Path)
				}
			case f == nil || f.Path != tt.wantPath:
				t.Fatalf("found %+v, want %s", f, tt.wantPath)
			}
		})
	}
}

// TestFindOSDirFS covers a real directory, where a "docs" file makes the
// last location fail with ENOTDIR rather than "not exist".
func TestFindOSDirFS(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docs"), []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Find(os.DirFS(dir))
	if f != nil || err != nil {
		t.Fatalf("Find = %+v, %v; want nil, nil", f, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CODEOWNERS"), []byte("* @root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = Find(os.DirFS(dir))
	if err != nil || f == nil || f.Path != "CODEOWNERS" || f.Match("a") == nil {
		t.Fatalf("Find = %+v, %v; want CODEOWNERS", f, err)
	}
}

// failingReader fails after handing out some bytes.
type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, fs.ErrPermission
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestRead(t *testing.T) {
	f, err := Read("x/CODEOWNERS", strings.NewReader("* @a\n"))
	if err != nil || f.Path != "x/CODEOWNERS" || f.Match("a") == nil {
		t.Fatalf("Read = %+v, %v", f, err)
	}
	// A reader whose size stat cannot tell, such as a pipe.
	if _, err := Read("big", strings.NewReader(strings.Repeat("#", maxSize))); err == nil || !strings.Contains(err.Error(), "big is 3 MB") {
		t.Errorf("3 MB: err = %v", err)
	}
	if _, err := Read("CODEOWNERS", &failingReader{[]byte("* @a")}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("failing reader: err = %v, want fs.ErrPermission", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(githubExample), "apps/github/hooks.rb")
	f.Add([]byte("* @a\r\n!x @b\r\n*.[ch] @c\r\n\\#x @d\r\n"), "x")
	f.Add([]byte("\x00\xff\n*.go @a\n**/** @b\n"), "a/b.go")
	f.Add([]byte(`My\ Docs/ @a`+"\n/ @b\na//b @c\n***/x @d\nfoo\\"), "My Docs/x")
	f.Add([]byte("a/**/b/**/c @a\n/*/ user\n? @/t\n"), "a/1/b/2/c")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		file := Parse("CODEOWNERS", data)
		invalid := make(map[int]bool, len(file.Invalid))
		for _, inv := range file.Invalid {
			invalid[inv.Line] = true
		}
		for _, r := range file.Rules {
			if invalid[r.Line] {
				t.Fatalf("line %d is both a rule and invalid", r.Line)
			}
		}
		r := file.Match(path)
		if r == nil {
			return
		}
		if invalid[r.Line] {
			t.Fatalf("Match(%q) returned invalid line %d", path, r.Line)
		}
		if !slices.ContainsFunc(file.Rules, func(x Rule) bool { return x.Line == r.Line && x.Pattern == r.Pattern }) {
			t.Fatalf("Match(%q) returned a rule not in the file: %+v", path, r)
		}
		file.Teams(path, "acme")
	})
}

// BenchmarkMatch matches 3,000 changed paths against a 200-rule file, the
// work of one large pull request.
func BenchmarkMatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	exts := []string{"go", "js", "ts", "md", "yaml", "proto", "py", "sql"}
	var file strings.Builder
	file.WriteString("* @acme/platform\n")
	for i := 1; i < 200; i++ {
		svc := fmt.Sprintf("svc%02d", rng.IntN(40))
		switch i % 5 {
		case 0:
			fmt.Fprintf(&file, "*.%s @acme/lang-%d\n", exts[rng.IntN(len(exts))], i)
		case 1:
			fmt.Fprintf(&file, "/services/%s/ @acme/team-%d\n", svc, i)
		case 2:
			fmt.Fprintf(&file, "/services/%s/**/*.%s @acme/team-%d @user%d\n", svc, exts[rng.IntN(len(exts))], i, i)
		case 3:
			fmt.Fprintf(&file, "docs/%s/* docs%d@example.com\n", svc, i)
		case 4:
			fmt.Fprintf(&file, "migrations/ @acme/dba-%d\n", i)
		}
	}
	f := Parse("CODEOWNERS", []byte(file.String()))
	if len(f.Rules) != 200 || len(f.Invalid) != 0 {
		b.Fatalf("benchmark file: %d rules, invalid %v", len(f.Rules), f.Invalid)
	}
	paths := make([]string, 3000)
	for i := range paths {
		parts := []string{"services", fmt.Sprintf("svc%02d", rng.IntN(50))}
		if i%7 == 0 {
			parts[0] = "docs"
		}
		for range rng.IntN(5) {
			parts = append(parts, fmt.Sprintf("pkg%d", rng.IntN(10)))
		}
		parts = append(parts, fmt.Sprintf("file%d.%s", i, exts[rng.IntN(len(exts))]))
		paths[i] = strings.Join(parts, "/")
	}

	b.ReportAllocs()
	for b.Loop() {
		for _, p := range paths {
			if f.Match(p) == nil {
				b.Fatal("the catch-all rule did not match")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(paths)), "ns/path")
}
