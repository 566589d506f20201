package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/launchgate/launchgate/internal/stress"
)

// runLoadtest is `launchgate loadtest`: the load test at ten times the
// expected peak, then a burst of 10,000 webhooks over 100 pull requests,
// against `launchgate serve` (this binary) in a child process and the
// GitHub simulator in this one. It prints the report and exits 1 when an
// assertion failed.
func runLoadtest(args []string, stdout, stderr io.Writer) (code int) {
	fset := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fset.SetOutput(stderr)
	events := fset.Int("events", 10_000, "webhooks of the steady phase")
	prs := fset.Int("prs", 200, "pull requests of the steady phase")
	rate := fset.Float64("rate", math.Round(stress.ExpectedPeak.TargetRate()), "webhooks per second of the steady phase; the default is 10 times the expected peak")
	burstEvents := fset.Int("burst-events", 10_000, "webhooks of the burst, sent as fast as the App answers (0: no burst)")
	burstPRs := fset.Int("burst-prs", 100, "pull requests of the burst")
	inProcess := fset.Bool("in-process", false, "serve the App in this process instead of a child launchgate serve process")
	reportFile := fset.String("report", "", "write the report as JSON to `FILE`, and as text to FILE with a .txt extension")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 || *events < 0 || *prs <= 0 || *rate < 0 || *burstEvents < 0 || *burstPRs <= 0 {
		fmt.Fprintln(stderr, "usage: launchgate loadtest [--events N] [--prs N] [--rate R] [--burst-events N] [--burst-prs N] [--in-process] [--report FILE]")
		return 2
	}
	opts := stress.Options{
		Events: *events, PRs: *prs, Rate: *rate, BurstEvents: *burstEvents, BurstPRs: *burstPRs,
		Progress: stderr, Command: "launchgate loadtest " + strings.Join(args, " "),
	}
	dir, cleanup, code := benchDir(*inProcess, stderr)
	if code != 0 {
		return code
	}
	defer func() { cleanup(code, stderr) }()
	if !*inProcess {
		if opts.Binary, code = self(stderr); code != 0 {
			return code
		}
		opts.Dir = dir
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rep, err := stress.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate loadtest: %v\n", err)
		return 1
	}
	return writeBenchReport(rep, len(rep.Problems), *reportFile, stdout, stderr)
}

// runDrill is `launchgate drill`: the automated recovery drill against
// `launchgate serve` (this binary) in child processes.
func runDrill(args []string, stdout, stderr io.Writer) (code int) {
	fset := flag.NewFlagSet("drill", flag.ContinueOnError)
	fset.SetOutput(stderr)
	events := fset.Int("events", 10_000, "webhooks of the burst the server is killed in")
	prs := fset.Int("prs", 100, "pull requests of the burst")
	faultEvents := fset.Int("fault-events", 2_000, "webhooks played while the simulator injects faults (0: no fault phase)")
	faultPRs := fset.Int("fault-prs", 40, "pull requests of the fault phase")
	reportFile := fset.String("report", "", "write the report as JSON to `FILE`, and as text to FILE with a .txt extension")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 || *events <= 0 || *prs <= 0 || *faultEvents < 0 || *faultPRs <= 0 {
		fmt.Fprintln(stderr, "usage: launchgate drill [--events N] [--prs N] [--fault-events N] [--fault-prs N] [--report FILE]")
		return 2
	}
	bin, code := self(stderr)
	if code != 0 {
		return code
	}
	dir, cleanup, code := benchDir(false, stderr)
	if code != 0 {
		return code
	}
	defer func() { cleanup(code, stderr) }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rep, err := stress.Drill(ctx, stress.DrillOptions{
		Binary: bin, Dir: dir, Events: *events, PRs: *prs, FaultEvents: *faultEvents, FaultPRs: *faultPRs,
		Progress: stderr, Command: "launchgate drill " + strings.Join(args, " "),
	})
	if err != nil {
		fmt.Fprintf(stderr, "launchgate drill: %v\n", err)
		return 1
	}
	return writeBenchReport(rep, len(rep.Problems), *reportFile, stdout, stderr)
}

// self is this binary, which serves the App as `launchgate serve`.
func self(stderr io.Writer) (string, int) {
	bin, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "launchgate: cannot find its own binary to run `serve`: %v\n", err)
		return "", 1
	}
	return bin, 0
}

// benchDir makes a private directory for the server processes'
// configuration, keys and logs. cleanup removes it after a success and
// keeps it, for its logs, after a failure.
func benchDir(none bool, stderr io.Writer) (dir string, cleanup func(code int, stderr io.Writer), code int) {
	if none {
		return "", func(int, io.Writer) {}, 0
	}
	dir, err := os.MkdirTemp("", "launchgate-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "launchgate: %v\n", err)
		return "", nil, 1
	}
	return dir, func(code int, stderr io.Writer) {
		if code == 0 {
			_ = os.RemoveAll(dir)
			return
		}
		fmt.Fprintf(stderr, "the servers' configuration and logs are kept in %s (remove it when done: it holds a test key)\n", dir)
	}, 0
}

// benchReport is a load test or drill report.
type benchReport interface {
	WriteText(io.Writer) error
	WriteJSON(io.Writer) error
}

// writeBenchReport prints the report, writes it to file (JSON) and
// file.txt (text) when asked, and returns the exit code: 1 when problems
// were found.
func writeBenchReport(rep benchReport, problems int, file string, stdout, stderr io.Writer) int {
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "launchgate: %v\n", err)
		return 1
	}
	if file != "" {
		txt := strings.TrimSuffix(file, ".json") + ".txt"
		for path, write := range map[string]func(io.Writer) error{file: rep.WriteJSON, txt: rep.WriteText} {
			f, err := os.Create(path)
			if err == nil {
				err = write(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "launchgate: writing the report: %v\n", err)
				return 1
			}
		}
	}
	if problems > 0 {
		return 1
	}
	return 0
}
