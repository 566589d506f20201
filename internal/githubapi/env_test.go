package githubapi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubsim"
)

const testAppID = 4242

// appKey is one RSA key for all tests: generating a 2048-bit key per test
// would dominate the run time.
var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func appKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey())})
}

// env is a simulator with the App installed on the organisation "acme", and
// a Client talking to it through a real go-githubapp ClientCreator (App JWT,
// installation token, HTTP).
type env struct {
	t    testing.TB
	sim  *githubsim.Server
	inst int64
	cc   githubapp.ClientCreator
}

func newEnv(t testing.TB, simOpts githubsim.Options) *env {
	t.Helper()
	simOpts.AppID, simOpts.PrivateKey = testAppID, appKey()
	sim, err := githubsim.Start(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return &env{
		t: t, sim: sim, inst: sim.AddInstallation("acme"),
		cc: githubapp.NewClientCreator(sim.URL(), sim.GraphQLURL(), testAppID, appKeyPEM()),
	}
}

func (e *env) client(opts Options) *Client {
	if opts.AppID == 0 {
		opts.AppID = testAppID
	}
	return NewClient(e.cc, opts)
}

// repo creates acme/<name> with base files on main, pushes head files to
// branch "feature" and opens a pull request from it.
func (e *env) repo(name string, base, head map[string]string) PullRequest {
	e.t.Helper()
	r := e.sim.AddRepo("acme", name, "main", base)
	headSHA := e.sim.Push("acme", name, "feature", head)
	n := e.sim.OpenPR("acme", name, githubsim.PRSpec{Title: "Launch: " + name, Head: "feature"})
	return PullRequest{
		InstallationID: e.inst, Owner: "acme", Repo: name, Number: n,
		HeadSHA: headSHA, BaseSHA: r.HeadSHA, BaseRef: "main",
	}
}

// requests returns the simulator's recorded requests since the last reset,
// as "METHOD path" lines, and resets.
func (e *env) requests() []string {
	var out []string
	for _, r := range e.sim.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	e.sim.ResetRequests()
	return out
}

// apiRequests is requests without the installation-token requests, which
// happen once per installation and hour, not per evaluation.
func (e *env) apiRequests() []string {
	var out []string
	for _, r := range e.requests() {
		if !strings.HasSuffix(r, "/access_tokens") {
			out = append(out, r)
		}
	}
	return out
}

func count(reqs []string, prefix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func files(n int, dir, content string) map[string]string {
	out := map[string]string{}
	for i := range n {
		out[fmt.Sprintf("%s/f%04d.txt", dir, i)] = fmt.Sprintf(content, i)
	}
	return out
}
