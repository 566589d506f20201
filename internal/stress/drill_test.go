package stress

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildLaunchgate builds the launchgate command into a temporary
// directory, from the module's own sources and module cache only.
func buildLaunchgate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "launchgate")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/launchgate/launchgate/cmd/launchgate")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestRecoveryDrill(t *testing.T) {
	start := time.Now()
	bin := buildLaunchgate(t)
	t.Logf("built in %s", time.Since(start))
	rep, err := Drill(context.Background(), DrillOptions{
		Binary: bin, Dir: t.TempDir(), Events: 600, PRs: 12, FaultEvents: 300, FaultPRs: 6,
		Settle: 60 * time.Second, Progress: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.WriteText(&b)
	t.Log(b.String())
	for _, p := range rep.Problems {
		t.Error(p)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
