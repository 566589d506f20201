package stress

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/server"
)

// The App's identity in the simulator.
const (
	appID         = 4242
	webhookSecret = "loadtest-webhook-secret"
)

// app is a launchgate server under test, reachable on 127.0.0.1.
type app interface {
	// base is the server's public URL (http://127.0.0.1:PORT): webhooks.
	base() string
	// internal is its operational URL: /metrics and /readyz.
	internal() string
	// memory is the server's peak memory so far.
	memory() Memory
	// stop shuts the server down gracefully.
	stop(ctx context.Context) error
}

// Memory is a peak memory figure and what it measured.
type Memory struct {
	Bytes  int64  `json:"bytes"`
	Source string `json:"source"`
}

func (m Memory) String() string {
	return fmt.Sprintf("%.1f MiB (%s)", float64(m.Bytes)/(1<<20), m.Source)
}

// appConfig is the App's configuration for a simulator.
func appConfig(sim *githubsim.Server, key *rsa.PrivateKey, tune func(*server.Config)) (*server.Config, error) {
	var signoffKey [32]byte
	if _, err := rand.Read(signoffKey[:]); err != nil {
		return nil, err
	}
	recordsKey, err := launchrecord.NewKeyPEM()
	if err != nil {
		return nil, err
	}
	cfg := &server.Config{
		GitHub: server.GitHubConfig{
			WebURL: "https://github.com", V3APIURL: sim.URL(), V4APIURL: sim.GraphQLURL(),
			App:           server.AppConfig{IntegrationID: appID, WebhookSecret: webhookSecret, PrivateKey: keyPEM(key)},
			MembershipTTL: server.DefaultMembershipTTL,
		},
		Signoff: server.SignoffConfig{Key: hex.EncodeToString(signoffKey[:])},
		Records: server.RecordsConfig{Key: recordsKey},
		// LoadConfig's default; a Config built in code has the reconciler
		// off.
		Server: server.ServerConfig{ReconcileInterval: 10 * time.Minute},
	}
	if tune != nil {
		tune(cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func keyPEM(key *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// inProcess is the App served from this process: server.New's handler on
// a 127.0.0.1 listener.
type inProcess struct {
	srv         *server.Server
	http        *http.Server // the public handler
	ops         *http.Server // the operational handler
	url, opsURL string

	stopBackground context.CancelFunc // ends the memory sampler and the reconciler
	background     sync.WaitGroup
	mu             sync.Mutex
	heapPeak       uint64
}

func startInProcess(cfg *server.Config, log zerolog.Logger) (*inProcess, error) {
	srv, err := server.New(server.Options{Config: cfg, Logger: log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	opsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, err
	}
	a := &inProcess{srv: srv, url: "http://" + ln.Addr().String(), opsURL: "http://" + opsLn.Addr().String(),
		http: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second},
		ops:  &http.Server{Handler: srv.InternalHandler(), ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = a.http.Serve(ln) }()
	go func() { _ = a.ops.Serve(opsLn) }()
	ctx, cancel := context.WithCancel(context.Background())
	a.stopBackground = cancel
	a.background.Go(func() { a.sample(ctx) })
	// The reconciler, as `launchgate serve` runs it.
	a.background.Go(func() { srv.Run(ctx) })
	return a, nil
}

// sample keeps the high-water mark of the heap in use. The process also
// holds the simulator and the driver, so this bounds the App's heap from
// above.
func (a *inProcess) sample(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		a.mu.Lock()
		a.heapPeak = max(a.heapPeak, ms.HeapInuse)
		a.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *inProcess) base() string { return a.url }

func (a *inProcess) internal() string { return a.opsURL }

func (a *inProcess) memory() Memory {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Memory{Bytes: int64(a.heapPeak), Source: "HeapInuse high-water of the test process: App, simulator and driver together"}
}

func (a *inProcess) stop(ctx context.Context) error {
	defer func() { a.stopBackground(); a.background.Wait() }()
	if err := a.http.Shutdown(ctx); err != nil {
		return err
	}
	// The operational listener closes last, as serve closes it.
	return errors.Join(a.srv.Shutdown(ctx), a.ops.Shutdown(ctx))
}

// process is `launchgate serve` running as a child process, configured by
// a file in dir, logging to dir/serve-N.log.
type process struct {
	cmd    *exec.Cmd
	url    string // public
	opsURL string // operational
	logs   string
	done   chan struct{}
	err    error // the exit status, once done is closed

	mu   sync.Mutex
	hwm  int64
	down bool
}

// procConfig is what a server process needs: its binary, the directory
// for its files, its two addresses and its configuration.
type procConfig struct {
	binary       string
	dir          string
	addr         string // server.address, 127.0.0.1:PORT
	internalAddr string // server.internal_address, 127.0.0.1:PORT
	cfg          *server.Config
}

// newProcConfig is the configuration of a server process on two free
// 127.0.0.1 ports. The ports are released before the process binds them;
// on a test machine nobody races for them.
func newProcConfig(binary, dir string, cfg *server.Config) (procConfig, error) {
	var addrs [2]string
	for i := range addrs {
		// Both listeners stay open until both ports are known, so that
		// the system cannot hand out one port twice.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return procConfig{}, fmt.Errorf("finding a free port: %w", err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return procConfig{binary: binary, dir: dir, addr: addrs[0], internalAddr: addrs[1], cfg: cfg}, nil
}

// writeConfig writes the configuration file; the keys go into files of
// their own, readable only by the owner, as mounted secrets would.
func (c procConfig) writeConfig() (string, error) {
	keyFile, signoffFile, recordsFile := filepath.Join(c.dir, "app.pem"), filepath.Join(c.dir, "signoff.key"), filepath.Join(c.dir, "records.pem")
	if err := os.WriteFile(keyFile, []byte(c.cfg.GitHub.App.PrivateKey), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(signoffFile, []byte(c.cfg.Signoff.Key), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(recordsFile, []byte(c.cfg.Records.Key), 0o600); err != nil {
		return "", err
	}
	g := c.cfg.GitHub
	var b strings.Builder
	// Everything else keeps LoadConfig's defaults, as a deployment would;
	// no load balancer needs time to notice a stop.
	fmt.Fprintf(&b, "server:\n  address: %q\n  internal_address: %q\n  workers: %d\n  queue_size: %d\n  reconcile_interval: %s\n  shutdown_delay: 0s\n",
		c.addr, c.internalAddr, c.cfg.Server.Workers, c.cfg.Server.QueueSize, c.cfg.Server.ReconcileInterval)
	fmt.Fprintf(&b, "github:\n  web_url: %q\n  v3_api_url: %q\n  v4_api_url: %q\n", g.WebURL, g.V3APIURL, g.V4APIURL)
	fmt.Fprintf(&b, "  app:\n    integration_id: %d\n    webhook_secret: %q\n    private_key_file: %q\n", g.App.IntegrationID, g.App.WebhookSecret, keyFile)
	fmt.Fprintf(&b, "signoff:\n  key_file: %q\n", signoffFile)
	fmt.Fprintf(&b, "records:\n  key_file: %q\n", recordsFile)
	// The store beside the other files, so that a restarted server finds
	// the records of the one it replaces, as a pod finds its database.
	fmt.Fprintf(&b, "store:\n  url: %q\n", "sqlite:"+filepath.Join(c.dir, "launchgate.db"))
	b.WriteString("log:\n  level: info\n")
	path := filepath.Join(c.dir, "config.yml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// startProcess starts a server process and waits until it is ready.
func startProcess(ctx context.Context, c procConfig, n int) (*process, error) {
	cfgPath, err := c.writeConfig()
	if err != nil {
		return nil, fmt.Errorf("writing the server's configuration: %w", err)
	}
	logs := filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", n))
	out, err := os.Create(logs)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.binary, "serve", "--config", cfgPath)
	// Only what the process needs: no GITHUB_* variable of the caller's
	// may override the configuration.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s serve: %w", c.binary, err)
	}
	p := &process{cmd: cmd, url: "http://" + c.addr, opsURL: "http://" + c.internalAddr, logs: logs, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	if err := p.waitReady(ctx, 30*time.Second); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// waitReady polls /readyz until it answers 200.
func (p *process) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.opsURL+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("server exited before it was ready (%v); log:\n%s", p.err, p.tail())
		case <-ctx.Done():
			return fmt.Errorf("server not ready after %s; log:\n%s", limit, p.tail())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (p *process) base() string { return p.url }

func (p *process) internal() string { return p.opsURL }

// readHWM records the process's VmHWM, its peak resident set, while it
// still runs (/proc forgets a dead process).
func (p *process) readHWM() {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				p.mu.Lock()
				p.hwm = max(p.hwm, kb<<10)
				p.mu.Unlock()
			}
		}
	}
}

func (p *process) memory() Memory {
	p.readHWM()
	p.mu.Lock()
	defer p.mu.Unlock()
	return Memory{Bytes: p.hwm, Source: "VmHWM (peak resident set) of the launchgate serve process"}
}

// kill ends the process with SIGKILL: no shutdown, in-memory work lost.
func (p *process) kill() {
	p.readHWM()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *process) stop(ctx context.Context) error {
	p.readHWM()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("server exited with %v after SIGTERM; log:\n%s", p.err, p.tail())
		}
		return nil
	case <-ctx.Done():
		p.kill()
		return fmt.Errorf("server did not stop after SIGTERM: %w", ctx.Err())
	}
}

// tail is the end of the process's log, for error messages.
func (p *process) tail() string {
	data, _ := os.ReadFile(p.logs)
	const keep = 4000
	if len(data) > keep {
		data = data[len(data)-keep:]
	}
	return string(data)
}
