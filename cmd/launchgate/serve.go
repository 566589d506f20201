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
	"github.com/launchgate/launchgate/internal/version"
)

// shutdownGrace is how long a stopping server waits for webhook requests in
// flight and for queued evaluations. Kubernetes' default grace period is 30
// seconds; this leaves a margin before the SIGKILL.
const shutdownGrace = 25 * time.Second

// runServe is `launchgate serve --config FILE`: the GitHub App. It logs
// JSON lines to stdout and stops gracefully on SIGTERM or SIGINT.
func runServe(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	fset.SetOutput(stderr)
	configPath := fset.String("config", "", "configuration file (YAML); secrets may come from GITHUB_APP_* variables instead")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: launchgate serve [--config FILE]")
		return 2
	}
	cfg, err := server.LoadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate serve: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := serve(ctx, cfg, stdout, nil); err != nil {
		fmt.Fprintf(stderr, "launchgate serve: %v\n", err)
		return 1
	}
	return 0
}

// serve runs the App until ctx ends, then shuts down gracefully. listening,
// when set, is told the address once the server accepts connections.
func serve(ctx context.Context, cfg *server.Config, logOut io.Writer, listening func(addr string)) error {
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		return err // Validate checked it
	}
	log := zerolog.New(logOut).Level(level).With().Timestamp().Logger()
	app, err := server.New(server.Options{Config: cfg, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Address)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Server.Address, err)
	}
	httpSrv := &http.Server{
		Handler: app.Handler(),
		// GitHub gives a delivery 10 seconds; a slower client is not
		// GitHub.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	hookURL := ""
	if cfg.Server.PublicURL != "" {
		hookURL = strings.TrimSuffix(cfg.Server.PublicURL, "/") + server.HookPath
	}
	// Never the secret or the key: only what identifies the deployment.
	log.Info().Str("version", version.String()).Str("address", ln.Addr().String()).
		Int64("app_id", cfg.GitHub.App.IntegrationID).Str("github_api", cfg.GitHub.V3APIURL).
		Str("webhook_url", hookURL).Int("workers", cfg.Server.Workers).
		Msg("launchgate serving")
	if listening != nil {
		listening(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("stopping: finishing webhook requests and queued evaluations")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn().Err(err).Msg("webhook requests cut off")
	}
	if err := app.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Msg("queued evaluations abandoned; GitHub's redelivery or a Re-run repairs them")
		return nil
	}
	log.Info().Msg("stopped")
	return nil
}
