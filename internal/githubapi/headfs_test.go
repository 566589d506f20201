package githubapi

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/launchgate/launchgate/internal/inspect"
)

// A file too large for the App is, to the checks, the same error as one too
// large locally, so that both get the same advice.
func TestTooLargeErrorIsInspectErrTooLarge(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "too large", err: &fs.PathError{Op: "read", Path: "launch/a.md", Err: &TooLargeError{Path: "launch/a.md", Size: 2 << 20, Limit: 1 << 20}}, want: true},
		{name: "a symbolic link", err: &fs.PathError{Op: "open", Path: "launch/a.md", Err: ErrSymlink}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, inspect.ErrTooLarge); got != tt.want {
				t.Errorf("errors.Is(%v, inspect.ErrTooLarge) = %t, want %t", tt.err, got, tt.want)
			}
		})
	}
}
