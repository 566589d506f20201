package main

import (
	"os"
	"strings"
	"testing"
)

// TestCheckUnreadableDir: a directory that cannot be listed is named as
// such, not blamed on the policy looked up inside it. Root lists any
// directory, so the test needs another user.
func TestCheckUnreadableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root lists a directory whatever its permission bits")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o300); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	code, out, errOut := launch(t, "check", dir)
	if code != 2 || !strings.Contains(errOut, "cannot list "+dir) || strings.Contains(errOut, "policy") {
		t.Fatalf("exit %d, stderr %q, want 2 and 'cannot list %s' without blaming the policy\n%s", code, errOut, dir, out)
	}
}
