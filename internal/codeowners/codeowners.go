// Package codeowners reads GitHub CODEOWNERS files and answers who owns a
// path, following GitHub's documented rules ("About code owners") rather
// than plain gitignore: no "!" negation, no "[ ]" ranges, no "\#" escape,
// the last matching line wins, and a bad line is skipped rather than
// spoiling the file.
package codeowners

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Locations is GitHub's lookup order on a branch; the first that exists wins.
var Locations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// maxSize is the size from which GitHub ignores a CODEOWNERS file: files
// must be under 3 MB.
const maxSize = 3 << 20

// maxLineLen is launchgate's own guard, not a GitHub limit: no sensible rule
// is this long, and refusing it keeps a pathological line from costing a
// compile per PR.
const maxLineLen = 8 << 10

// Rule is one valid line of a CODEOWNERS file.
type Rule struct {
	Pattern string   // as written, escapes included
	Owners  []string // as written: "@user", "@org/team", "a@b.c"; empty means unowned
	Line    int      // 1-based

	compiled *pattern
}

// InvalidLine is a line GitHub would skip, with the reason.
type InvalidLine struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// File is a parsed CODEOWNERS file. Only a File from Parse, Read or Find can
// match paths: the rules' patterns are compiled there.
type File struct {
	Path    string
	Rules   []Rule
	Invalid []InvalidLine
}

// Parse reads a CODEOWNERS file. It never fails as a whole: like GitHub, it
// skips each invalid line and records why in Invalid.
func Parse(path string, data []byte) *File {
	f := &File{Path: path}
	// Editors on Windows may start the file with a byte-order mark, which
	// would otherwise become part of the first pattern.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for n := 1; len(data) > 0; n++ {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		rule, err := parseLine(line)
		switch {
		case err != nil:
			f.Invalid = append(f.Invalid, InvalidLine{Line: n, Message: err.Error()})
		case rule != nil:
			rule.Line = n
			f.Rules = append(f.Rules, *rule)
		}
	}
	return f
}

// parseLine returns the rule on a line, nil for a blank or comment line, or
// the reason the line is invalid.
func parseLine(b []byte) (*Rule, error) {
	switch {
	case len(b) > maxLineLen:
		return nil, fmt.Errorf("line is %d bytes long; launchgate accepts at most %d", len(b), maxLineLen)
	case bytes.IndexByte(b, 0) >= 0:
		return nil, errors.New("line contains a NUL byte (is this a binary file?)")
	case !utf8.Valid(b):
		return nil, errors.New("line is not valid UTF-8")
	}
	fields := splitFields(string(b))
	if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return nil, nil
	}
	p, err := compile(fields[0])
	if err != nil {
		return nil, fmt.Errorf("pattern %s: %w", quote(fields[0]), err)
	}
	owners := fields[1:]
	// A "#" after whitespace starts an inline comment.
	if i := slices.IndexFunc(owners, func(s string) bool { return strings.HasPrefix(s, "#") }); i >= 0 {
		owners = owners[:i]
	}
	for _, o := range owners {
		if err := checkOwner(o); err != nil {
			return nil, err
		}
	}
	return &Rule{Pattern: fields[0], Owners: slices.Clip(owners), compiled: p}, nil
}

// splitFields splits a line at whitespace that is not escaped with a
// backslash, keeping escapes in the fields ("a\ b" is one field).
func splitFields(s string) []string {
	var fields []string
	start := -1
	for i := 0; i < len(s); i++ {
		switch {
		case isSpace(s[i]):
			if start >= 0 {
				fields = append(fields, s[start:i])
				start = -1
			}
		case start < 0:
			start = i
		}
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
	}
	if start >= 0 {
		fields = append(fields, s[start:])
	}
	return fields
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// checkOwner accepts the three forms GitHub documents: @username,
// @org/team-name and an email address. Whether the owner exists and has
// write access only GitHub can tell.
func checkOwner(o string) error {
	name, isHandle := strings.CutPrefix(o, "@")
	if !isHandle {
		local, domain, isEmail := strings.Cut(o, "@")
		switch {
		case !isEmail:
			return fmt.Errorf(`owner %s is not @username, @org/team-name or an email address (missing "@"?)`, quote(o))
		case local == "":
			return fmt.Errorf("owner %s is not a valid email address: nothing before the @", quote(o))
		case !validDomain(domain):
			return fmt.Errorf("owner %s is not a valid email address: %s is not a domain name", quote(o), quote(domain))
		}
		return nil
	}
	org, team, isTeam := strings.Cut(name, "/")
	switch {
	case !isTeam && name == "":
		return fmt.Errorf("owner %s has no username after the @", quote(o))
	case !isTeam && !validName(name, "-_"):
		return fmt.Errorf("owner %s: a username has only letters, digits, hyphens and underscores", quote(o))
	case !isTeam:
		return nil
	case org == "":
		return fmt.Errorf("owner %s has an empty organization name; write @org/team-name", quote(o))
	case team == "":
		return fmt.Errorf("owner %s has an empty team name; write @org/team-name", quote(o))
	case strings.Contains(team, "/"):
		return fmt.Errorf("owner %s has more than one \"/\"; write @org/team-name", quote(o))
	case !validName(org, "-"):
		return fmt.Errorf("owner %s: an organization name has only letters, digits and hyphens", quote(o))
	case !validName(team, "-_."):
		return fmt.Errorf("owner %s: a team name has only letters, digits, hyphens, underscores and dots", quote(o))
	}
	return nil
}

func validName(s, punct string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && strings.IndexByte(punct, c) < 0 {
			return false
		}
	}
	return s != ""
}

func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !validName(l, "-") {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// quote shows a token between double quotes, escaping only when the token
// would otherwise be unreadable: %q would double every backslash of "a\ b".
func quote(s string) string {
	if strings.ContainsRune(s, '"') || strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return `"` + s + `"`
}

// Read reads a CODEOWNERS file from r and parses it, naming it path. A file
// of 3 MB or more is an error: GitHub would not load it, so nobody would own
// anything.
func Read(path string, r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize))
	if err != nil {
		return nil, fmt.Errorf("codeowners: read %s: %w", path, err)
	}
	if len(data) >= maxSize {
		return nil, tooLarge(path)
	}
	return Parse(path, data), nil
}

func tooLarge(path string) error {
	return fmt.Errorf("codeowners: %s is 3 MB or more; GitHub ignores CODEOWNERS files that large", path)
}

// Find reads the first of Locations that exists in fsys, which should be the
// root of a checkout of the pull request's base branch. It returns (nil, nil)
// when there is none. A file that exists but cannot be used is an error, not
// a reason to try the next location: GitHub would not fall through either.
func Find(fsys fs.FS) (*File, error) {
	for _, name := range Locations {
		info, err := fs.Stat(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			// ENOTDIR: os.DirFS when "docs" is a file, not a directory.
			continue
		case err != nil:
			return nil, fmt.Errorf("codeowners: %w", err)
		case info.IsDir():
			continue
		case info.Size() >= maxSize:
			return nil, tooLarge(name)
		}
		file, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("codeowners: %w", err)
		}
		defer file.Close()
		return Read(name, file)
	}
	return nil, nil
}

// Match returns the rule that decides who owns path (repository-relative,
// slash-separated, no leading slash): the last rule that matches, or nil
// when none does. A rule with no Owners leaves the path unowned. A nil File
// matches nothing.
func (f *File) Match(path string) *Rule {
	if f == nil || path == "" {
		return nil
	}
	for i := len(f.Rules) - 1; i >= 0; i-- {
		r := &f.Rules[i]
		if r.compiled != nil && r.compiled.match(path) {
			return r
		}
	}
	return nil
}

// Teams returns the slugs of org's teams among the owners of path,
// lower-cased and deduplicated in the order written ("@acme/Security" gives
// "security" for org "acme"). Organization names compare case-insensitively,
// as GitHub logins do.
func (f *File) Teams(path, org string) []string {
	r := f.Match(path)
	if r == nil || org == "" {
		return nil
	}
	var slugs []string
	for _, o := range r.Owners {
		name, ok := strings.CutPrefix(o, "@")
		if !ok {
			continue
		}
		owner, slug, ok := strings.Cut(name, "/")
		if !ok || !strings.EqualFold(owner, org) {
			continue
		}
		if slug = strings.ToLower(slug); !slices.Contains(slugs, slug) {
			slugs = append(slugs, slug)
		}
	}
	return slugs
}
