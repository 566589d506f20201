package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/store"
)

// maxRecordBytes bounds one JSON line of records verify: a record with
// every check of a large policy is a few tens of kilobytes.
const maxRecordBytes = 4 << 20

// runRecords dispatches `launchgate records SUBCOMMAND`.
func runRecords(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && args[0] == "verify":
		return runRecordsVerify(args[1:], os.Stdin, stdout, stderr)
	case len(args) > 0 && args[0] == "export":
		return runRecordsExport(args[1:], stdout, stderr)
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help"):
		return runRecordsVerify(args, os.Stdin, stdout, stderr)
	}
	return usageError(stderr, "records verify", "records has two subcommands, export and verify")
}

// runRecordsExport is `launchgate records export`: the stored records, one
// signed JSON line each, as records verify reads them.
func runRecordsExport(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("records export", flag.ContinueOnError)
	storeURL := fset.String("store", "", "the store: `URL` sqlite:PATH or postgres://... (serve's store.url)")
	since := fset.String("since", "", "only records merged on or after `DATE` (YYYY-MM-DD, UTC)")
	repo := fset.String("repo", "", "only the records of `OWNER/NAME`")
	positional, code, ok := parseArgs("records export", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(stderr, "records export", "takes no arguments, got %q", positional)
	}
	if *storeURL == "" {
		return usageError(stderr, "records export", "--store is required")
	}
	var filter store.RecordFilter
	if *since != "" {
		t, err := time.Parse("2006-01-02", *since)
		if err != nil {
			return usageError(stderr, "records export", "--since %q is not a date YYYY-MM-DD", *since)
		}
		filter.Since = t
	}
	if *repo != "" {
		if owner, name, ok := strings.Cut(*repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usageError(stderr, "records export", "--repo %q is not OWNER/NAME", *repo)
		}
		filter.Repo = *repo
	}
	// Opening a SQLite path that does not exist would create an empty
	// store and export nothing: a mistyped path must be an error instead.
	if path, ok := strings.CutPrefix(*storeURL, "sqlite:"); ok {
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "launchgate records export: %v\n", err)
			return 2
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, *storeURL)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate records export: %v\n", err)
		return 2
	}
	defer st.Close()
	records, err := st.Records(ctx, filter)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate records export: %v\n", err)
		return 1
	}
	w := bufio.NewWriter(stdout)
	for _, r := range records {
		w.Write(r.Line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "launchgate records export: writing the records: %v\n", err)
		return 1
	}
	return 0
}

// runRecordsVerify is `launchgate records verify`: one line per record,
// "ok" or why it does not verify.
func runRecordsVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("records verify", flag.ContinueOnError)
	keyFile := fset.String("public-key", "", "the launch record public key, PEM (GET /records/public-key serves it)")
	positional, code, ok := parseArgs("records verify", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if *keyFile == "" {
		return usageError(stderr, "records verify", "--public-key is required")
	}
	if len(positional) > 1 {
		return usageError(stderr, "records verify", "takes at most one RECORDS file")
	}
	pemBytes, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate records verify: reading the public key: %v\n", err)
		return 2
	}
	pub, err := launchrecord.ParsePublicKey(pemBytes)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate records verify: %s: %v\n", *keyFile, err)
		return 2
	}
	in, name := stdin, "stdin"
	if len(positional) == 1 {
		f, err := os.Open(positional[0])
		if err != nil {
			fmt.Fprintf(stderr, "launchgate records verify: %v\n", err)
			return 2
		}
		defer f.Close()
		in, name = f, positional[0]
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxRecordBytes)
	total, bad := 0, 0
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		total++
		r, err := launchrecord.Verify(pub, sc.Bytes())
		if err != nil {
			bad++
			fmt.Fprintf(stdout, "%s:%d: FAIL %s#%d: %v\n", name, n, r.Repo, r.PR, err)
			continue
		}
		fmt.Fprintf(stdout, "%s:%d: ok %s#%d merged %s bypassed=%t\n", name, n, r.Repo, r.PR, r.MergedAt.Format("2006-01-02"), r.Bypassed)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "launchgate records verify: reading %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stdout, "%d of %d records verify\n", total-bad, total)
	if bad > 0 || total == 0 {
		return 1
	}
	return 0
}
