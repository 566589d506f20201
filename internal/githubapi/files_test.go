package githubapi

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubsim"
)

func TestChangedFiles(t *testing.T) {
	tests := []struct {
		name          string
		head          map[string]string
		reported      int // the payload's changed_files; 0 unknown
		wantPages     int
		wantTruncated bool
	}{
		{"one page", kit, len(kit), 1, false},
		{"several pages", files(250, "launch", "doc %d"), 250, 3, false},
		{"GitHub stops at 3,000 files", files(3005, "gen", "%d"), 3005, 30, true},
		{"3,000 files and no count may be more", files(3000, "gen", "%d"), 0, 30, true},
		{"3,000 files, counted, are all of them", files(3000, "gen", "%d"), 3000, 30, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			pr := e.repo("svc", map[string]string{"README.md": "hi"}, tt.head)
			pr.ChangedFiles = tt.reported
			c := e.client(Options{})
			e.requests()
			got, err := c.ChangedFiles(context.Background(), pr)
			if tt.wantTruncated != errors.Is(err, ErrFileListTruncated) {
				t.Fatalf("ChangedFiles() error = %v, want truncated %t", err, tt.wantTruncated)
			}
			if err != nil && !tt.wantTruncated {
				t.Fatal(err)
			}
			want := slices.Sorted(maps.Keys(tt.head))
			if len(want) > maxListedFiles {
				want = want[:maxListedFiles]
			}
			if !slices.Equal(got, want) {
				t.Errorf("ChangedFiles() = %d files, want %d", len(got), len(want))
			}
			if tt.wantTruncated && !strings.Contains(err.Error(), "3000 listed") {
				t.Errorf("error %q does not say how many were listed", err)
			}
			reqs := e.apiRequests()
			if got := count(reqs, "GET /repos/acme/svc/pulls/"); got != tt.wantPages {
				t.Errorf("pages = %d, want %d", got, tt.wantPages)
			}
			// Cached by base and head SHA.
			again, err2 := c.ChangedFiles(context.Background(), pr)
			if !slices.Equal(again, got) || (err2 == nil) != (err == nil) {
				t.Errorf("second call = %d files, %v", len(again), err2)
			}
			if reqs := e.apiRequests(); len(reqs) != 0 {
				t.Errorf("second call sent %d requests", len(reqs))
			}
		})
	}
}
