package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/server"
	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/internal/version"
)

// runServe is `launchgate serve --config FILE`: the GitHub App. It logs
// JSON lines to stdout and stops gracefully on SIGTERM or SIGINT.
func runServe(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fset.String("config", "", "configuration file (YAML); secrets may come from GITHUB_APP_* variables instead")
	positional, code, ok := parseArgs("serve", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(stderr, "serve", "takes no arguments, got %q", positional)
	}
	cfg, err := server.LoadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate serve: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		// After the first signal a second one kills the process, for an
		// operator who will not wait for the graceful stop.
		<-ctx.Done()
		stop()
	}()
	if err := serve(ctx, cfg, stdout, nil); err != nil {
		fmt.Fprintf(stderr, "launchgate serve: %v\n", err)
		return 1
	}
	return 0
}

// httpServer serves h with timeouts that suit both listeners: GitHub
// gives a delivery 10 seconds (a slower client is not GitHub), pages and
// probes are short requests too.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// serve runs the App until ctx ends, then shuts down gracefully. listening,
// when set, is told the public and the internal (operational) listeners'
// addresses once both accept connections.
func serve(ctx context.Context, cfg *server.Config, logOut io.Writer, listening func(public, internal string)) error {
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		return err // Validate checked it
	}
	log := zerolog.New(logOut).Level(level).With().Timestamp().Logger()
	st, err := store.Open(ctx, cfg.Store.URL)
	if err != nil {
		return err
	}
	defer st.Close()
	app, opts, err := server.FromConfig(cfg, st, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Address)
	if err != nil {
		return fmt.Errorf("listening on server.address %s: %w", cfg.Server.Address, err)
	}
	opsLn, err := net.Listen("tcp", cfg.Server.InternalAddress)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listening on server.internal_address %s: %w", cfg.Server.InternalAddress, err)
	}
	httpSrv, opsSrv := httpServer(app.Handler()), httpServer(app.InternalHandler())
	hookURL := ""
	if cfg.Server.PublicURL != "" {
		hookURL = strings.TrimSuffix(cfg.Server.PublicURL, "/") + server.HookPath
	}
	// Never the secret or the key: only what identifies the deployment.
	log.Info().Str("version", version.String()).Str("address", ln.Addr().String()).Str("internal_address", opsLn.Addr().String()).
		Int64("app_id", cfg.GitHub.App.IntegrationID).Str("github_api", cfg.GitHub.V3APIURL).
		Str("webhook_url", hookURL).Str("pages_url", opts.PagesURL).Int("workers", cfg.Server.Workers).
		Msg("launchgate serving")
	if listening != nil {
		listening(ln.Addr().String(), opsLn.Addr().String())
	}
	served := make(chan error, 2)
	go func() { served <- fmt.Errorf("serving server.address: %w", httpSrv.Serve(ln)) }()
	go func() { served <- fmt.Errorf("serving server.internal_address: %w", opsSrv.Serve(opsLn)) }()
	// The reconciler: a pass at start-up, then every reconcile_interval.
	go app.Run(ctx)
	select {
	case err := <-served:
		httpSrv.Close()
		opsSrv.Close()
		return err
	case <-ctx.Done():
	}
	// A graceful stop, within Kubernetes' grace period (30 s by default;
	// shutdown_delay + shutdown_timeout is 30 s by default too, and the
	// deployment allows 40): first /readyz, on the internal listener,
	// answers 503 while deliveries are still taken, until the load
	// balancer has noticed; then the public listener closes, requests in
	// flight finish, and the queued evaluations run until the deadline.
	// What is left then is handed back: it is GitHub state (a run missing
	// or older than its head) that the reconciler of a replica still
	// running repairs, and deliveries refused meanwhile are failed
	// deliveries it redelivers. The internal listener closes last, so
	// that probes and scrapes see the whole stop.
	app.Drain()
	log.Info().Dur("delay", cfg.Server.ShutdownDelay).Dur("timeout", cfg.Server.ShutdownTimeout).
		Msg("stopping: readiness off; then finishing webhook requests and queued evaluations")
	time.Sleep(cfg.Server.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Msg("webhook requests cut off")
	}
	appErr := app.Shutdown(sctx)
	// A probe or a scrape takes milliseconds: a second is plenty, even
	// when the evaluations used up the deadline.
	octx, ocancel := context.WithTimeout(context.Background(), time.Second)
	defer ocancel()
	if err := opsSrv.Shutdown(octx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Msg("operational requests cut off")
	}
	if appErr != nil {
		log.Warn().Err(appErr).Msg("stopped with evaluations unfinished; the reconciler of a running replica repairs them")
		return nil
	}
	log.Info().Msg("stopped")
	return nil
}
