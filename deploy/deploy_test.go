// Package deploy_test renders launchgate's Kubernetes manifests with the
// kustomize API, for every environment the default policy requires, and
// asserts what the launch kit (launch/deployment.md, security-review.md,
// scaling.md, monitoring.md) says about them. It then starts the App from
// the production overlay's own configuration file and Secret-backed
// environment, against the GitHub simulator, and checks that the probes
// answer, a launch pull request is evaluated, and the alert rules use only
// metrics that App exports.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/server"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/store"
)

// image is where the Dockerfile's image is published.
const image = "ghcr.io/launchgate/launchgate"

// secretName is the Secret every environment's credentials come from; it
// is created out of band (README "Deploying"), never kept in git.
const secretName = "launchgate-github"

// secretEnv are the variables the App reads its credentials from
// (internal/server/config.go, go-githubapp's names, the sign-off HMAC key,
// the launch record signing key, the store URL with its password, the
// pages' OAuth client secret and session cookie key); each must come from
// the Secret.
var secretEnv = []string{"GITHUB_APP_INTEGRATION_ID", "GITHUB_APP_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY", "LAUNCHGATE_SIGNOFF_KEY", "LAUNCHGATE_RECORDS_KEY",
	"LAUNCHGATE_STORE_URL", "LAUNCHGATE_OAUTH_CLIENT_SECRET", "LAUNCHGATE_SESSION_KEY"}

// publicPaths are requests the Ingress must send to the App: the webhook,
// the records' public key, and the pages' routes (internal/web: sign-in
// and out, the board and its JSON, a record, the stylesheet, and a launch
// PR's details page, the check run's Details link).
var publicPaths = []string{server.HookPath, server.RecordsPublicKeyPath,
	"/login", "/login/callback", "/logout",
	"/orgs/acme", "/orgs/acme/records/web-12", "/api/orgs/acme/launches", "/static/style.css",
	"/acme/web/pull/12"}

// internalPaths are the App's routes for the cluster alone (Prometheus and
// the kubelet), served on its internal port only: the public port, the
// Ingress's backend, must not serve them however they are spelled.
var internalPaths = []string{"/metrics", "/metrics/", "/%6Detrics", "/healthz", "/readyz"}

// requiredAlerts are the alerts issue 5 asks for, by what they watch.
var requiredAlerts = map[string]string{
	"LaunchgateWebhookFailures":      "webhook failures",
	"LaunchgateQueueSaturated":       "queue saturation",
	"LaunchgateEvaluationErrors":     "evaluation errors",
	"LaunchgateRateLimitLow":         "rate limit nearly exhausted",
	"LaunchgateReconcilerRepairing":  "reconciler repairing more than a threshold",
	"LaunchgateLaunchBypassed":       "a launch PR merged past the gate (issue 11)",
	"LaunchgateStoreFailing":         "the store refusing writes (issue 11)",
	"LaunchgatePagesCannotAskGitHub": "the pages unable to ask GitHub what a viewer may see",
}

// environments are the policy's required environments; each has an
// overlay under overlays/.
func environments(t *testing.T) []inspect.Environment {
	t.Helper()
	p, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	return p.Environments
}

// TestOverlays renders every environment and asserts the properties the
// launch kit states: replicas, disruption budget, probes, resources,
// security context, network policy, secrets, ingress, monitoring, and the
// image's ENTRYPOINT/CMD convention.
func TestOverlays(t *testing.T) {
	img := readDockerfile(t)
	namespaces := map[string]string{}
	hosts := map[string]string{}
	for _, env := range environments(t) {
		t.Run(env.Name, func(t *testing.T) {
			r := render(t, env.Name)
			ns := r.namespace(t)
			if other, dup := namespaces[ns]; dup {
				t.Errorf("namespace %q is also %s's: two environments would overwrite each other", ns, other)
			}
			namespaces[ns] = env.Name

			var d deployment
			r.one(t, "Deployment", &d)
			pod := d.Spec.Template
			c := checkDeployment(t, d, img)
			checkContainer(t, c, pod.Spec, img, r)
			checkPDB(t, r, d)
			svc, ops := checkServices(t, r, pod.Metadata.Labels, c)
			ingressHosts := checkIngress(t, r, svc, c)
			for _, h := range ingressHosts {
				if other, dup := hosts[h]; dup {
					t.Errorf("ingress host %s is also %s's: GitHub would deliver one App's webhooks to both", h, other)
				}
				hosts[h] = env.Name
			}
			checkConfigFile(t, configFile(t, c, pod.Spec, r), ingressHosts)
			checkNetworkPolicy(t, r, pod.Metadata.Labels, c)
			checkMonitoring(t, r, ops, pod.Metadata.Annotations, c)
			if n := len(r.all("Secret")); n > 0 {
				t.Errorf("%d Secret(s) rendered: credentials must not be kept in git; create %s in the cluster", n, secretName)
			}
			var sa struct {
				AutomountServiceAccountToken *bool `json:"automountServiceAccountToken"`
			}
			r.one(t, "ServiceAccount", &sa)
			if !isFalse(sa.AutomountServiceAccountToken) {
				t.Error("ServiceAccount automounts its token; launchgate never calls the Kubernetes API")
			}
		})
	}
}

func checkDeployment(t *testing.T, d deployment, img dockerImage) container {
	t.Helper()
	s := d.Spec
	if s.Replicas == nil || *s.Replicas < 2 {
		t.Errorf("replicas = %v, want at least 2", ptrString(s.Replicas))
	}
	if s.Strategy.Type != "RollingUpdate" || s.Strategy.RollingUpdate.MaxUnavailable.String() != "0" {
		t.Errorf("strategy %s with maxUnavailable %q, want RollingUpdate with maxUnavailable 0 (a new pod is ready before an old one stops)",
			s.Strategy.Type, s.Strategy.RollingUpdate.MaxUnavailable)
	}
	if !matches(s.Selector.MatchLabels, s.Template.Metadata.Labels) {
		t.Errorf("selector %v does not select the pod labels %v", s.Selector.MatchLabels, s.Template.Metadata.Labels)
	}
	ps := s.Template.Spec
	if !isFalse(ps.AutomountServiceAccountToken) {
		t.Error("pod automounts a service account token; launchgate never calls the Kubernetes API")
	}
	sc := ps.SecurityContext
	if !isTrue(sc.RunAsNonRoot) {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if sc.RunAsUser == nil || *sc.RunAsUser == 0 || strconv.FormatInt(*sc.RunAsUser, 10) != img.uid {
		t.Errorf("pod runAsUser = %s, want the Dockerfile's non-root USER %s", ptrString(sc.RunAsUser), img.uid)
	}
	if sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("pod seccompProfile = %q, want RuntimeDefault", sc.SeccompProfile.Type)
	}
	// launchgate keeps no state (launch/recovery.md): its only volume is
	// its configuration.
	for _, v := range ps.Volumes {
		if v.ConfigMap == nil {
			t.Errorf("volume %s is not a ConfigMap: launchgate keeps no state and needs no other volume", v.Name)
		}
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers, want 1 (launchgate serve)", len(ps.Containers))
	}
	return ps.Containers[0]
}

func checkContainer(t *testing.T, c container, ps podSpec, img dockerImage, r rendered) {
	t.Helper()
	// The image and its command line.
	if repo, _, _ := strings.Cut(c.Image, ":"); repo != image {
		t.Errorf("image %s, want %s (the Dockerfile's image)", c.Image, image)
	}
	if len(c.Command) > 0 {
		t.Errorf("command %q replaces the image's ENTRYPOINT %q; set only args, which replace its CMD", c.Command, img.entrypoint)
	}
	if !slices.Equal(img.entrypoint, []string{"/launchgate"}) {
		t.Errorf("Dockerfile ENTRYPOINT %q, want [\"/launchgate\"] so that args name a subcommand", img.entrypoint)
	}
	if len(c.Args) == 0 || len(img.cmd) == 0 || c.Args[0] != img.cmd[0] || c.Args[0] != "serve" {
		t.Errorf("args %q, want the Dockerfile CMD's subcommand (CMD %q): serve", c.Args, img.cmd)
	}
	config := podConfig(t, c, ps, r, nil)

	// Ports: the container port is the one the App listens on and the
	// image exposes.
	port := containerPort(c, "http")
	if port == 0 {
		t.Fatalf("no container port named http in %+v", c.Ports)
	}
	if !slices.Contains(img.expose, strconv.Itoa(port)) {
		t.Errorf("container port %d, Dockerfile EXPOSE %q", port, img.expose)
	}
	if _, p, err := net.SplitHostPort(config.Server.Address); err != nil || p != strconv.Itoa(port) {
		t.Errorf("config server.address %q does not listen on the container port %d", config.Server.Address, port)
	}
	// The operational routes' port: server.internal_address's, another.
	ops := containerPort(c, "internal")
	if ops == 0 || ops == port {
		t.Fatalf("no container port named internal, apart from http, in %+v", c.Ports)
	}
	if !slices.Contains(img.expose, strconv.Itoa(ops)) {
		t.Errorf("container port %d (internal), Dockerfile EXPOSE %q", ops, img.expose)
	}
	if _, p, err := net.SplitHostPort(config.Server.InternalAddress); err != nil || p != strconv.Itoa(ops) {
		t.Errorf("config server.internal_address %q does not listen on the container port %d", config.Server.InternalAddress, ops)
	}

	// Probes on the App's operational routes and on their port.
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
		switch {
		case p.probe == nil || p.probe.HTTPGet == nil:
			t.Errorf("no %s with httpGet", p.name)
		case p.probe.HTTPGet.Path != p.path:
			t.Errorf("%s path %q, want %s", p.name, p.probe.HTTPGet.Path, p.path)
		case resolvePort(c, p.probe.HTTPGet.Port) != ops:
			t.Errorf("%s port %q is not the App's internal port %d", p.name, p.probe.HTTPGet.Port, ops)
		}
	}
	// A stopping App keeps serving for shutdown_delay while it leaves the
	// Service, then finishes its work within shutdown_timeout; Kubernetes
	// must not SIGKILL it before.
	stop := config.Server.ShutdownDelay + config.Server.ShutdownTimeout
	if ps.TerminationGracePeriodSeconds == nil || time.Duration(*ps.TerminationGracePeriodSeconds)*time.Second <= stop {
		t.Errorf("terminationGracePeriodSeconds %s does not exceed the App's shutdown_delay + shutdown_timeout (%s)",
			ptrString(ps.TerminationGracePeriodSeconds), stop)
	}

	// Resources: requests and limits for CPU and memory, requests within
	// limits, and the Go runtime's soft limit below the hard one.
	for _, res := range []string{"cpu", "memory"} {
		req, lim := c.Resources.Requests[res], c.Resources.Limits[res]
		if req == "" || lim == "" {
			t.Errorf("%s request %q, limit %q: set both", res, req, lim)
			continue
		}
		rq, err1 := quantity(req)
		lq, err2 := quantity(lim)
		if err1 != nil || err2 != nil || rq > lq {
			t.Errorf("%s request %s exceeds or cannot be compared with limit %s (%v, %v)", res, req, lim, err1, err2)
		}
	}
	if soft, ok := envValue(c, "GOMEMLIMIT"); !ok {
		t.Error("no GOMEMLIMIT: the Go runtime would let the heap grow into the OOM killer")
	} else if s, err := quantity(soft); err != nil {
		t.Errorf("GOMEMLIMIT %q: %v", soft, err)
	} else if hard, err := quantity(c.Resources.Limits["memory"]); err == nil && s >= hard {
		t.Errorf("GOMEMLIMIT %s is not below the memory limit %s", soft, c.Resources.Limits["memory"])
	}

	// Security context.
	sc := c.SecurityContext
	if !isFalse(sc.AllowPrivilegeEscalation) || !isTrue(sc.ReadOnlyRootFilesystem) || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container securityContext: allowPrivilegeEscalation %s, readOnlyRootFilesystem %s, capabilities add %q drop %q; want false, true, none, [ALL]",
			ptrString(sc.AllowPrivilegeEscalation), ptrString(sc.ReadOnlyRootFilesystem), sc.Capabilities.Add, sc.Capabilities.Drop)
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		t.Error("container runs as root")
	}

	// Secrets: every credential from the Secret, nothing secret-looking
	// as a literal.
	for _, name := range secretEnv {
		e, ok := findEnv(c, name)
		switch {
		case !ok:
			t.Errorf("no %s variable", name)
		case e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != secretName:
			t.Errorf("%s does not come from Secret %s", name, secretName)
		case isTrue(e.ValueFrom.SecretKeyRef.Optional):
			t.Errorf("%s is optional: a pod without it must not start", name)
		}
	}
	secretish := regexp.MustCompile(`SECRET|KEY|TOKEN|PASSWORD|PEM`)
	for _, e := range c.Env {
		if secretish.MatchString(e.Name) && e.ValueFrom == nil {
			t.Errorf("%s has a literal value; credentials come from Secret %s", e.Name, secretName)
		}
	}
}

// configFile finds the file the --config flag names in a ConfigMap volume
// of the pod and returns its content.
func configFile(t *testing.T, c container, ps podSpec, r rendered) string {
	t.Helper()
	file := flagValue(c.Args, "--config")
	if file == "" {
		t.Fatalf("args %q name no --config file", c.Args)
	}
	var volume string
	for _, m := range c.VolumeMounts {
		if path.Dir(file) == path.Clean(m.MountPath) {
			volume = m.Name
			if !m.ReadOnly {
				t.Errorf("volume %s is mounted writable", m.Name)
			}
		}
	}
	var cmName string
	for _, v := range ps.Volumes {
		if v.Name == volume && v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	if cmName == "" {
		t.Fatalf("--config %s is not in a ConfigMap volume (mounts %+v)", file, c.VolumeMounts)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	r.named(t, "ConfigMap", cmName, &cm)
	data, ok := cm.Data[path.Base(file)]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s for --config %s", cmName, path.Base(file), file)
	}
	return data
}

// podConfig loads the pod's configuration as `launchgate serve --config`
// does: the ConfigMap's file, with the container's environment set and
// every Secret key filled with a generated credential (and env's extra
// variables). The file itself must hold no credential.
func podConfig(t *testing.T, c container, ps podSpec, r rendered, env map[string]string) *server.Config {
	t.Helper()
	data := configFile(t, c, ps, r)
	var raw server.Config
	if err := yaml.Unmarshal([]byte(data), &raw); err != nil {
		t.Fatalf("the --config file is not YAML: %v", err)
	}
	if a := raw.GitHub.App; a.WebhookSecret != "" || a.PrivateKey != "" || a.PrivateKeyFile != "" || raw.Signoff.Key != "" || raw.Records.Key != "" || raw.Records.KeyFile != "" {
		t.Errorf("the --config file holds a credential; credentials come from Secret %s", secretName)
	}
	for _, key := range []string{"web.client_secret", "web.session_key", "store.url"} {
		if v := settingOf(t, data, key); v != nil {
			t.Errorf("the --config file sets %s; that credential comes from Secret %s", key, secretName)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			v, ok := testSecret()[e.ValueFrom.SecretKeyRef.Key]
			if !ok {
				t.Fatalf("%s comes from Secret key %q, which launch/deployment.md does not create", e.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			t.Setenv(e.Name, v)
		case e.ValueFrom == nil:
			t.Setenv(e.Name, e.Value)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	file := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := server.LoadConfig(file)
	if err != nil {
		t.Fatalf("the pod's configuration does not load: %v", err)
	}
	return cfg
}

// testAppID is the App id in testSecret.
const testAppID = 4242

// testSecret is the launchgate-github Secret as launch/deployment.md
// creates it, with generated values: one RSA key per test binary, since
// generating one takes a noticeable fraction of a second.
var testSecret = sync.OnceValue(func() map[string]string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	randomBytes := func() []byte {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		return b
	}
	random := func() string { return hex.EncodeToString(randomBytes()) }
	recordsKey, err := launchrecord.NewKeyPEM()
	if err != nil {
		panic(err)
	}
	return map[string]string{
		"app-id":         strconv.Itoa(testAppID),
		"webhook-secret": random(),
		"private-key":    string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		"signoff-key":    random(),
		"records-key":    recordsKey,
		"store-url":      "postgres://launchgate:" + random() + "@postgres.launchgate.svc:5432/launchgate?sslmode=verify-full",
		// The OAuth client secret GitHub issues is 40 hex digits; the
		// session key is base64 of 32 random bytes, as deployment.md
		// makes it with openssl.
		"oauth-client-secret": random()[:40],
		"session-key":         base64.StdEncoding.EncodeToString(randomBytes()),
	}
})

// TestSecretIsDocumented asserts that the commands README.md and
// launch/deployment.md give to create the Secret create exactly the keys
// the Deployment reads: a key missing there is a pod that never starts.
func TestSecretIsDocumented(t *testing.T) {
	var d deployment
	render(t, "production").one(t, "Deployment", &d)
	var want []string
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secretName {
			want = append(want, e.ValueFrom.SecretKeyRef.Key)
		}
	}
	slices.Sort(want)
	for _, doc := range []string{"../README.md", "../launch/deployment.md"} {
		t.Run(path.Base(doc), func(t *testing.T) {
			data, err := os.ReadFile(doc)
			if err != nil {
				t.Fatal(err)
			}
			got := secretKeysCreated(string(data))
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s creates Secret %s with keys %v; the Deployment reads %v", doc, secretName, got, want)
			}
		})
	}
}

var secretKeyFlag = regexp.MustCompile(`--from-(?:literal|file)=([a-z0-9-]+)=`)

// secretKeysCreated returns the keys of the first `kubectl create secret
// generic launchgate-github` command in a document, read across its
// backslash-continued lines.
func secretKeysCreated(doc string) []string {
	_, cmd, ok := strings.Cut(doc, "create secret generic "+secretName)
	if !ok {
		return nil
	}
	var keys []string
	for _, line := range strings.Split(cmd, "\n") {
		for _, m := range secretKeyFlag.FindAllStringSubmatch(line, -1) {
			keys = append(keys, m[1])
		}
		if !strings.HasSuffix(strings.TrimSpace(line), "\\") {
			break
		}
	}
	return keys
}

// TestAppManifestMatchesProduction asserts that app.yml registers the
// URLs the production configuration serves: GitHub delivers webhooks to
// hook_attributes.url and accepts the pages' OAuth redirect_uri only under
// a callback URL. The pages ask for user authorisation when someone signs
// in, not when the App is installed.
func TestAppManifestMatchesProduction(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "app.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		HookAttributes struct {
			URL string `yaml:"url"`
		} `yaml:"hook_attributes"`
		CallbackURLs          []string `yaml:"callback_urls"`
		RequestOAuthOnInstall *bool    `yaml:"request_oauth_on_install"`
	}
	if err := yaml.Unmarshal(data, &manifest); err != nil {
		t.Fatalf("app.yml: %v", err)
	}
	r := render(t, "production")
	var d deployment
	r.one(t, "Deployment", &d)
	c := d.Spec.Template.Spec.Containers[0]
	public, _ := settingOf(t, configFile(t, c, d.Spec.Template.Spec, r), "server.public_url").(string)
	if public == "" {
		t.Fatal("the production configuration sets no server.public_url")
	}
	if want := public + server.HookPath; manifest.HookAttributes.URL != want {
		t.Errorf("app.yml webhook URL %s, want %s", manifest.HookAttributes.URL, want)
	}
	if want := public + "/login/callback"; !slices.Equal(manifest.CallbackURLs, []string{want}) {
		t.Errorf("app.yml callback_urls %v, want [%s]", manifest.CallbackURLs, want)
	}
	if !isFalse(manifest.RequestOAuthOnInstall) {
		t.Errorf("app.yml request_oauth_on_install is %s, want false", ptrString(manifest.RequestOAuthOnInstall))
	}
}

func checkPDB(t *testing.T, r rendered, d deployment) {
	t.Helper()
	var pdb struct {
		Spec struct {
			MinAvailable   *intOrString  `json:"minAvailable"`
			MaxUnavailable *intOrString  `json:"maxUnavailable"`
			Selector       labelSelector `json:"selector"`
		} `json:"spec"`
	}
	r.one(t, "PodDisruptionBudget", &pdb)
	if !matches(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", pdb.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
	}
	replicas := *d.Spec.Replicas
	// Kept: the replicas an eviction leaves running. At least one must
	// serve webhooks, and at least one eviction must be allowed or node
	// drains block.
	var kept int
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		n, err := strconv.Atoi(pdb.Spec.MaxUnavailable.String())
		if err != nil || n < 1 {
			t.Fatalf("PodDisruptionBudget maxUnavailable %q: want a number of pods, at least 1", pdb.Spec.MaxUnavailable)
		}
		kept = replicas - n
	case pdb.Spec.MinAvailable != nil:
		n, err := strconv.Atoi(pdb.Spec.MinAvailable.String())
		if err != nil || n >= replicas {
			t.Fatalf("PodDisruptionBudget minAvailable %q with %d replicas: no eviction would ever be allowed", pdb.Spec.MinAvailable, replicas)
		}
		kept = n
	default:
		t.Fatal("PodDisruptionBudget sets neither minAvailable nor maxUnavailable")
	}
	if kept < 1 {
		t.Errorf("PodDisruptionBudget lets every one of %d replicas be evicted at once", replicas)
	}
}

type service struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		Selector map[string]string `json:"selector"`
		Ports    []struct {
			Name       string      `json:"name"`
			Port       int         `json:"port"`
			TargetPort intOrString `json:"targetPort"`
		} `json:"ports"`
	} `json:"spec"`
}

// checkServices asserts that the public Service, launchgate, has one port,
// to the container's http port, and the operational one,
// launchgate-internal, one port, to its internal port; it returns both.
func checkServices(t *testing.T, r rendered, podLabels map[string]string, c container) (public, internal service) {
	t.Helper()
	for _, s := range []struct {
		name, port string
		svc        *service
	}{{name: "launchgate", port: "http", svc: &public}, {name: "launchgate-internal", port: "internal", svc: &internal}} {
		r.named(t, "Service", s.name, s.svc)
		if !matches(s.svc.Spec.Selector, podLabels) {
			t.Errorf("Service %s selector %v does not select the pods %v", s.name, s.svc.Spec.Selector, podLabels)
		}
		if len(s.svc.Spec.Ports) != 1 || resolvePort(c, s.svc.Spec.Ports[0].TargetPort) != containerPort(c, s.port) {
			t.Fatalf("Service %s ports %+v: want one port to the container's %s port", s.name, s.svc.Spec.Ports, s.port)
		}
	}
	return public, internal
}

// ingressPath is one path of an Ingress rule.
type ingressPath struct {
	Path     string `json:"path"`
	PathType string `json:"pathType"`
	Backend  struct {
		Service struct {
			Name string `json:"name"`
			Port struct {
				Name string `json:"name"`
			} `json:"port"`
		} `json:"service"`
	} `json:"backend"`
}

// checkIngress asserts that the Ingress serves over TLS, sends the
// webhook and the pages' routes to the App's public Service, has no
// backend but that Service's port to the container's http port (never the
// internal port), and returns the hosts.
func checkIngress(t *testing.T, r rendered, svc service, c container) []string {
	t.Helper()
	var ing struct {
		Spec struct {
			TLS []struct {
				Hosts      []string `json:"hosts"`
				SecretName string   `json:"secretName"`
			} `json:"tls"`
			Rules []struct {
				Host string `json:"host"`
				HTTP struct {
					Paths []ingressPath `json:"paths"`
				} `json:"http"`
			} `json:"rules"`
		} `json:"spec"`
	}
	r.one(t, "Ingress", &ing)
	var tlsHosts []string
	for _, tls := range ing.Spec.TLS {
		if tls.SecretName == "" {
			t.Errorf("TLS for %v names no certificate Secret", tls.Hosts)
		}
		tlsHosts = append(tlsHosts, tls.Hosts...)
	}
	toApp := func(p ingressPath) bool {
		return p.Backend.Service.Name == svc.Metadata.Name && p.Backend.Service.Port.Name == svc.Spec.Ports[0].Name
	}
	var hosts []string
	for _, rule := range ing.Spec.Rules {
		if rule.Host == "" || !slices.Contains(tlsHosts, rule.Host) {
			t.Errorf("ingress host %q is not served over TLS (tls hosts %v)", rule.Host, tlsHosts)
		}
		hosts = append(hosts, rule.Host)
		for _, p := range rule.HTTP.Paths {
			if p.PathType != "Exact" && p.PathType != "Prefix" {
				t.Errorf("ingress path %s has pathType %q; only Exact and Prefix mean the same on every ingress controller", p.Path, p.PathType)
			}
			// Every path leads to the public port: the operational
			// routes are not served there, so no path of the Ingress
			// can reach them.
			if target := backendPort(t, r, p, c); !toApp(p) || target != containerPort(c, "http") {
				t.Errorf("ingress path %s goes to Service %s port %q (container port %d); want Service %s port %s, the container's http port %d, never its internal port %d",
					p.Path, p.Backend.Service.Name, p.Backend.Service.Port.Name, target, svc.Metadata.Name, svc.Spec.Ports[0].Name, containerPort(c, "http"), containerPort(c, "internal"))
			}
		}
		for _, path := range publicPaths {
			if p, ok := ingressRoute(rule.HTTP.Paths, path); !ok || !toApp(p) {
				t.Errorf("%s%s does not reach Service %s (routed by %+v)", rule.Host, path, svc.Metadata.Name, p)
			}
		}
	}
	if len(hosts) == 0 {
		t.Error("ingress has no rule: GitHub cannot reach the App")
	}
	return hosts
}

// backendPort is the container port an Ingress path's backend reaches: the
// named Service's port of that name, resolved to the container's. 0 when
// the Service has no such port.
func backendPort(t *testing.T, r rendered, p ingressPath, c container) int {
	t.Helper()
	var svc service
	r.named(t, "Service", p.Backend.Service.Name, &svc)
	for _, sp := range svc.Spec.Ports {
		if sp.Name == p.Backend.Service.Port.Name {
			return resolvePort(c, sp.TargetPort)
		}
	}
	return 0
}

// ingressRoute returns the path of an Ingress rule that a request for
// path goes to, as https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types
// defines it for every controller: Exact matches the whole path, Prefix
// matches whole path elements ("/aaa" matches "/aaa/b" but not "/aaab", a
// trailing slash aside); the longest matching path wins, and Exact wins
// over Prefix when they are equally long.
func ingressRoute(paths []ingressPath, path string) (ingressPath, bool) {
	var best ingressPath
	bestLen, found := -1, false
	for _, p := range paths {
		var n int
		switch p.PathType {
		case "Exact":
			if p.Path != path {
				continue
			}
			n = len(p.Path)
		case "Prefix":
			elems := func(s string) []string { return strings.FieldsFunc(s, func(r rune) bool { return r == '/' }) }
			rule, req := elems(p.Path), elems(path)
			if len(rule) > len(req) || !slices.Equal(rule, req[:len(rule)]) {
				continue
			}
			n = len(strings.TrimSuffix(p.Path, "/"))
		default:
			continue
		}
		if n > bestLen || n == bestLen && p.PathType == "Exact" {
			best, bestLen, found = p, n, true
		}
	}
	return best, found
}

// checkConfigFile asserts that an environment's configuration is the
// base's but for its public URL, which must be that environment's Ingress
// host (the webhook URL and the pages' OAuth callback are built from it),
// and its App's OAuth client id.
func checkConfigFile(t *testing.T, data string, ingressHosts []string) {
	t.Helper()
	public, _ := settingOf(t, data, "server.public_url").(string)
	u, err := url.Parse(public)
	if err != nil || u.Scheme != "https" || !slices.Contains(ingressHosts, u.Host) || strings.TrimPrefix(u.Path, "/") != "" {
		t.Errorf("server.public_url %q is not https://HOST of an ingress host %v: GitHub would reject the pages' OAuth callback", public, ingressHosts)
	}
	base, err := os.ReadFile(filepath.Join("base", "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	own, shared := withoutEnvironment(t, data), withoutEnvironment(t, string(base))
	if !reflect.DeepEqual(own, shared) {
		t.Errorf("the configuration differs from deploy/base/config.yml beyond server.public_url and web.client_id:\n%v\nbase:\n%v", own, shared)
	}
}

// withoutEnvironment decodes a configuration file without the settings
// that belong to one environment.
func withoutEnvironment(t *testing.T, data string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("configuration file: %v", err)
	}
	for _, key := range []string{"server.public_url", "web.client_id"} {
		section, name, _ := strings.Cut(key, ".")
		if m, ok := doc[section].(map[string]any); ok {
			delete(m, name)
			if len(m) == 0 {
				delete(doc, section)
			}
		}
	}
	return doc
}

// settingOf returns the value of a "section.name" setting in a
// configuration file, or nil when the file does not set it.
func settingOf(t *testing.T, data, key string) any {
	t.Helper()
	var doc map[string]map[string]any
	if err := yaml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("configuration file: %v", err)
	}
	section, name, _ := strings.Cut(key, ".")
	return doc[section][name]
}

func checkNetworkPolicy(t *testing.T, r rendered, podLabels map[string]string, c container) {
	t.Helper()
	type ports []struct {
		Port     intOrString `json:"port"`
		Protocol string      `json:"protocol"`
	}
	// peer is a NetworkPolicy ingress rule's source.
	type peer struct {
		NamespaceSelector *labelSelector `json:"namespaceSelector"`
		PodSelector       *labelSelector `json:"podSelector"`
		IPBlock           *struct {
			CIDR string `json:"cidr"`
		} `json:"ipBlock"`
	}
	var np struct {
		Spec struct {
			PodSelector labelSelector `json:"podSelector"`
			PolicyTypes []string      `json:"policyTypes"`
			Ingress     []struct {
				From  []peer `json:"from"`
				Ports ports  `json:"ports"`
			} `json:"ingress"`
			Egress []struct{ Ports ports } `json:"egress"`
		} `json:"spec"`
	}
	r.one(t, "NetworkPolicy", &np)
	if !matches(np.Spec.PodSelector.MatchLabels, podLabels) {
		t.Errorf("NetworkPolicy selects %v, not the pods %v", np.Spec.PodSelector.MatchLabels, podLabels)
	}
	if !slices.Contains(np.Spec.PolicyTypes, "Ingress") || !slices.Contains(np.Spec.PolicyTypes, "Egress") {
		t.Errorf("NetworkPolicy policyTypes %v: want Ingress and Egress", np.Spec.PolicyTypes)
	}
	allowed := func(rulePorts []ports, ok func(rule int, port, proto string) bool, what string) {
		for i, rp := range rulePorts {
			if len(rp) == 0 {
				t.Errorf("a NetworkPolicy %s rule allows every port", what)
			}
			for _, p := range rp {
				if !ok(i, p.Port.String(), p.Protocol) {
					t.Errorf("NetworkPolicy %s allows %s/%s", what, p.Port, p.Protocol)
				}
			}
		}
	}
	// The public port from anywhere (the ingress controller may be outside
	// the cluster's pod network); the internal port only from the
	// cluster's pods: every source a namespace or pod selector, no IP
	// block, which could name addresses outside the cluster.
	inCluster := func(from []peer) bool {
		for _, f := range from {
			if f.IPBlock != nil || (f.NamespaceSelector == nil && f.PodSelector == nil) {
				return false
			}
		}
		return len(from) > 0
	}
	app, ops := strconv.Itoa(containerPort(c, "http")), strconv.Itoa(containerPort(c, "internal"))
	var ingressPorts []ports
	for _, rule := range np.Spec.Ingress {
		ingressPorts = append(ingressPorts, rule.Ports)
	}
	internalOpen := false
	allowed(ingressPorts, func(i int, port, proto string) bool {
		switch {
		case proto != "TCP":
			return false
		case port == app || port == "http":
			return true
		case port == ops || port == "internal":
			internalOpen = true
			return inCluster(np.Spec.Ingress[i].From)
		}
		return false
	}, "ingress")
	if !internalOpen {
		t.Errorf("NetworkPolicy ingress does not allow the internal port %s: Prometheus could not scrape /metrics", ops)
	}
	var egressPorts []ports
	for _, rule := range np.Spec.Egress {
		egressPorts = append(egressPorts, rule.Ports)
	}
	// DNS, and HTTPS to the GitHub API: launchgate has no other peer.
	allowed(egressPorts, func(_ int, port, proto string) bool {
		return port == "53" || (port == "443" || port == "5432") && proto == "TCP"
	}, "egress")
}

// checkMonitoring asserts that the ServiceMonitor and the pods' scrape
// annotations point Prometheus at /metrics on the internal port (svc is
// the operational Service), and that there is one PrometheusRule.
func checkMonitoring(t *testing.T, r rendered, svc service, podAnnotations map[string]string, c container) {
	t.Helper()
	if n := len(r.all("PrometheusRule")); n != 1 {
		t.Errorf("%d PrometheusRules, want 1", n)
	}
	var sm struct {
		Spec struct {
			Selector  labelSelector `json:"selector"`
			Endpoints []struct {
				Port string `json:"port"`
				Path string `json:"path"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	r.one(t, "ServiceMonitor", &sm)
	if !matches(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		t.Errorf("ServiceMonitor selects %v, not the Service's labels %v", sm.Spec.Selector.MatchLabels, svc.Metadata.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v: want the Service's %s port at /metrics", sm.Spec.Endpoints, svc.Spec.Ports[0].Name)
	}
	ops := strconv.Itoa(containerPort(c, "internal"))
	if a := podAnnotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != ops || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("pod scrape annotations %v: want prometheus.io/scrape true, port %s (internal), path /metrics", a, ops)
	}
}

// TestDeploySatisfiesPolicyAlone runs the default policy's deployment
// checks on deploy/ alone: the repository's own manifests, not the example
// service's or test fixtures, are what pass `launchgate check .`. Every
// alert rule must load, not just one.
func TestDeploySatisfiesPolicyAlone(t *testing.T) {
	p, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	tree := fstest.MapFS{}
	err = filepath.WalkDir(".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		data, err := os.ReadFile(name)
		tree[path.Join("deploy", filepath.ToSlash(name))] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := inspect.NewRepo(tree, time.Now(), p.Environments)
	ran := map[string]bool{}
	for _, req := range p.Requirements {
		for _, c := range req.Checks {
			switch c.Kind {
			case "environments", "replicas", "probes", "alerts":
				ran[c.Kind] = true
				for _, f := range c.Checker.Check(repo) {
					t.Errorf("%s/%s: %s:%d: %s", req.ID, c.ID, f.Path, f.Line, f.Message)
				}
			}
		}
	}
	if len(ran) != 4 {
		t.Errorf("the default policy ran %v; want environments, replicas, probes and alerts checks", ran)
	}
	all := &inspect.Alerts{Min: len(alertRules(t))}
	for _, f := range all.Check(repo) {
		t.Errorf("not every alert rule loads: %s:%d: %s", f.Path, f.Line, f.Message)
	}
}

type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// alertRules are the production overlay's alerting rules.
func alertRules(t *testing.T) []alertRule {
	t.Helper()
	r := render(t, "production")
	raw := r.all("PrometheusRule")
	if len(raw) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(raw))
	}
	// Decode through YAML for the rule fields' own tags.
	var doc struct {
		Spec struct {
			Groups []struct {
				Name  string      `yaml:"name"`
				Rules []alertRule `yaml:"rules"`
			} `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw[0], &doc); err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	var rules []alertRule
	for _, g := range doc.Spec.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

// TestAlertRules asserts each required alert exists with a structure an
// on-call engineer can act on, and that every metric and label its query
// names is exported by the App started from the production overlay.
func TestAlertRules(t *testing.T) {
	rules := alertRules(t)
	byName := map[string]alertRule{}
	for _, r := range rules {
		if _, dup := byName[r.Alert]; dup {
			t.Errorf("alert %s is defined twice", r.Alert)
		}
		byName[r.Alert] = r
	}
	for name, what := range requiredAlerts {
		r, ok := byName[name]
		if !ok {
			t.Errorf("no alert %s (%s)", name, what)
			continue
		}
		if strings.TrimSpace(r.Expr) == "" {
			t.Errorf("%s has no expr", name)
		}
		if r.For != "" {
			if _, err := model.ParseDuration(r.For); err != nil {
				t.Errorf("%s: for %q: %v", name, r.For, err)
			}
		}
		if sev := r.Labels["severity"]; sev != "page" && sev != "ticket" {
			t.Errorf("%s: severity %q, want page or ticket (launch/monitoring.md says who each reaches)", name, sev)
		}
		if strings.TrimSpace(r.Annotations["summary"]) == "" {
			t.Errorf("%s has no summary annotation", name)
		}
	}

	pod := startPod(t, "production")
	families := pod.scrape(t)
	for _, r := range rules {
		refs := metricRefs(r.Expr)
		if len(refs) == 0 {
			t.Errorf("%s: expr %q names no launchgate metric", r.Alert, r.Expr)
		}
		// Labels an aggregation groups by must belong to a metric it
		// aggregates, or the alert fires once for everything.
		var all []string
		for name := range refs {
			all = append(all, families[familyOf(name, families)]...)
		}
		for _, l := range groupingLabels(r.Expr) {
			if !slices.Contains(all, l) {
				t.Errorf("%s: groups by %q, a label none of its metrics has", r.Alert, l)
			}
		}
		for name, labels := range refs {
			fam, ok := families[familyOf(name, families)]
			if !ok {
				t.Errorf("%s: metric %s is not exported on /metrics (launchgate's: %s)", r.Alert, name, strings.Join(ours(families), ", "))
				continue
			}
			for _, l := range labels {
				if !slices.Contains(fam, l) {
					t.Errorf("%s: %s has no label %q (labels: %v)", r.Alert, name, l, fam)
				}
			}
		}
	}
}

// TestProductionPodServes starts the App exactly as the production pod is
// configured: its ConfigMap file, its environment with the Secret's keys,
// the probes' paths. A launch pull request then gets its check run, which
// proves the webhook secret and private key variables reach the App.
func TestProductionPodServes(t *testing.T) {
	pod := startPod(t, "production")
	for _, p := range []*probe{pod.container.ReadinessProbe, pod.container.LivenessProbe} {
		base, ok := pod.urls[resolvePort(pod.container, p.HTTPGet.Port)]
		if !ok {
			t.Fatalf("probe %s on port %q, which the App does not listen on", p.HTTPGet.Path, p.HTTPGet.Port)
		}
		resp, err := http.Get(base + p.HTTPGet.Path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", p.HTTPGet.Path, resp.StatusCode)
		}
	}
	// The public port, the Ingress's backend, serves no operational
	// route, however the path is spelled: each is a 404.
	for _, path := range internalPaths {
		resp, err := http.Get(pod.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "launchgate_") || strings.TrimSpace(string(body)) == "ok" {
			t.Errorf("GET %s on the public port = %d %.100q, want a 404", path, resp.StatusCode, body)
		}
	}
	runs := pod.sim.CheckRuns(pod.story.Owner, pod.story.Repo, pod.head)
	var ours int
	for _, r := range runs {
		if r.GetName() == server.CheckName {
			ours++
		}
	}
	if ours != 1 {
		t.Errorf("%d %q check runs on the launch PR's head, want 1", ours, server.CheckName)
	}
}

// pod is the App started from an overlay's configuration.
type pod struct {
	url         string         // the public port's
	internalURL string         // the internal port's
	urls        map[int]string // by container port
	sim         *githubsim.Server
	container   container
	story       demo.Story
	head        string
}

// startPod renders env, fills the Secret's keys with generated
// credentials, loads the ConfigMap's file with those variables set (as
// `launchgate serve --config` does), points the App at the simulator and
// plays the demo's launch pull request through it.
func startPod(t *testing.T, env string) *pod {
	t.Helper()
	r := render(t, env)
	var d deployment
	r.one(t, "Deployment", &d)
	c := d.Spec.Template.Spec.Containers[0]

	secret := testSecret()
	block, _ := pem.Decode([]byte(secret["private-key"]))
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := githubsim.Start(githubsim.Options{AppID: testAppID, PrivateKey: key, WebhookSecret: secret["webhook-secret"]})
	if err != nil {
		t.Fatal(err)
	}
	cfg := podConfig(t, c, d.Spec.Template.Spec, r, map[string]string{"GITHUB_V3_API_URL": sim.URL(), "GITHUB_V4_API_URL": sim.GraphQLURL()})
	// The Secret's store URL names the cluster's PostgreSQL; the pod's
	// store here is a file of the test's.
	db, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "launchgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// As `launchgate serve` builds it: with the pages of the web: section.
	app, _, err := server.FromConfig(cfg, db, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app.Handler())
	ops := httptest.NewServer(app.InternalHandler())
	t.Cleanup(func() {
		ts.Close()
		ops.Close()
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() { _ = sim.Close() })
	sim.SetWebhookURL(ts.URL + server.HookPath)

	s := demo.New(time.Now())
	sim.AddInstallation(s.Owner)
	sim.AddRepo(s.Owner, s.Repo, s.DefaultBranch, s.Main)
	head := sim.Push(s.Owner, s.Repo, s.Branch, s.Opened)
	sim.OpenPR(s.Owner, s.Repo, githubsim.PRSpec{Title: s.Title, Labels: s.Labels, Head: s.Branch})
	settle := func() {
		for n := -1; n != len(sim.Deliveries()); {
			n = len(sim.Deliveries())
			sim.WaitForDeliveries()
			app.Wait()
		}
	}
	settle()
	// The pass `launchgate serve` runs at start-up: with every delivery
	// answered and evaluated there is nothing to repair.
	st, err := app.Reconcile(t.Context())
	if err != nil {
		t.Fatalf("reconciler pass: %v", err)
	}
	if st.Repairs != 0 || st.Redeliveries != 0 {
		t.Errorf("reconciler repaired %d pull requests and redelivered %d deliveries that webhooks had already handled", st.Repairs, st.Redeliveries)
	}
	settle()
	urls := map[int]string{containerPort(c, "http"): ts.URL, containerPort(c, "internal"): ops.URL}
	return &pod{url: ts.URL, internalURL: ops.URL, urls: urls, sim: sim, container: c, story: s, head: head}
}

// scrape reads /metrics and returns each metric family's label names.
func (p *pod) scrape(t *testing.T) map[string][]string {
	t.Helper()
	resp, err := http.Get(p.internalURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	out := map[string][]string{}
	for name, f := range fams {
		labels := []string{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(labels, l.GetName()) {
					labels = append(labels, l.GetName())
				}
			}
		}
		if f.GetType().String() == "HISTOGRAM" {
			labels = append(labels, "le")
		}
		out[name] = labels
	}
	return out
}

var (
	quoted      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	metricRef   = regexp.MustCompile(`\b(launchgate_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?`)
	matcherName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	grouping    = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// metricRefs lists the launchgate metrics a PromQL expression selects,
// with the label names of their matchers. The expression is not parsed
// as PromQL (see internal/inspect/alerts.go for why the parser is not a
// dependency); every launchgate metric starts with launchgate_, so the
// selectors are found by that prefix, outside string literals.
func metricRefs(expr string) map[string][]string {
	var values []string
	masked := quoted.ReplaceAllStringFunc(expr, func(s string) string {
		values = append(values, s)
		return `""`
	})
	refs := map[string][]string{}
	for _, m := range metricRef.FindAllStringSubmatch(masked, -1) {
		labels := refs[m[1]]
		for _, l := range matcherName.FindAllStringSubmatch(m[2], -1) {
			if !slices.Contains(labels, l[1]) {
				labels = append(labels, l[1])
			}
		}
		refs[m[1]] = labels
	}
	return refs
}

// groupingLabels lists the labels of an expression's by (...) and
// without (...) clauses.
func groupingLabels(expr string) []string {
	var out []string
	for _, m := range grouping.FindAllStringSubmatch(quoted.ReplaceAllString(expr, `""`), -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

// ours lists the launchgate metric families.
func ours(families map[string][]string) []string {
	var out []string
	for _, name := range sortedKeys(families) {
		if strings.HasPrefix(name, "launchgate_") {
			out = append(out, name)
		}
	}
	return out
}

// familyOf maps a series name to its family: a histogram's _bucket, _sum
// and _count series belong to the histogram.
func familyOf(name string, families map[string][]string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if _, exists := families[base]; exists {
				return base
			}
		}
	}
	return name
}

// rendered is one overlay's output, each resource as JSON.
type rendered struct {
	env       string
	resources []json.RawMessage
	kinds     []string
}

// render builds overlays/env with kustomize, as `kubectl apply -k` does.
func render(t *testing.T, env string) rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join("overlays", env))
	if err != nil {
		t.Fatalf("kustomize build overlays/%s: %v", env, err)
	}
	out := rendered{env: env}
	for _, res := range m.Resources() {
		data, err := res.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		out.resources = append(out.resources, data)
		out.kinds = append(out.kinds, res.GetKind())
	}
	return out
}

func (r rendered) all(kind string) []json.RawMessage {
	var out []json.RawMessage
	for i, k := range r.kinds {
		if k == kind {
			out = append(out, r.resources[i])
		}
	}
	return out
}

// one decodes the overlay's only resource of kind into v.
func (r rendered) one(t *testing.T, kind string, v any) {
	t.Helper()
	all := r.all(kind)
	if len(all) != 1 {
		t.Fatalf("overlays/%s renders %d %s resources, want 1", r.env, len(all), kind)
	}
	if err := json.Unmarshal(all[0], v); err != nil {
		t.Fatalf("overlays/%s %s: %v", r.env, kind, err)
	}
}

// named decodes the resource of kind with the given name into v.
func (r rendered) named(t *testing.T, kind, name string, v any) {
	t.Helper()
	for _, raw := range r.all(kind) {
		var o struct {
			Metadata meta `json:"metadata"`
		}
		if json.Unmarshal(raw, &o) == nil && o.Metadata.Name == name {
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("overlays/%s renders no %s %s", r.env, kind, name)
}

// namespace is the one namespace every resource is in.
func (r rendered) namespace(t *testing.T) string {
	t.Helper()
	seen := map[string]bool{}
	for _, raw := range r.resources {
		var o struct {
			Kind     string `json:"kind"`
			Metadata meta   `json:"metadata"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.Metadata.Namespace == "" {
			t.Errorf("%s %s has no namespace", o.Kind, o.Metadata.Name)
		}
		seen[o.Metadata.Namespace] = true
	}
	if len(seen) != 1 {
		t.Fatalf("overlays/%s spans namespaces %v, want one", r.env, sortedKeys(seen))
	}
	return sortedKeys(seen)[0]
}

// dockerImage is what the Dockerfile's final stage declares.
type dockerImage struct {
	entrypoint, cmd []string
	uid             string
	expose          []string // ports
}

// readDockerfile reads the final stage's ENTRYPOINT, CMD (JSON form),
// USER and EXPOSE.
func readDockerfile(t *testing.T) dockerImage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var img dockerImage
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		instr, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "FROM":
			img = dockerImage{} // a new stage
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(arg), &img.entrypoint); err != nil {
				t.Fatalf("Dockerfile ENTRYPOINT %s is not the JSON (exec) form: %v", arg, err)
			}
		case "CMD":
			if err := json.Unmarshal([]byte(arg), &img.cmd); err != nil {
				t.Fatalf("Dockerfile CMD %s is not the JSON (exec) form: %v", arg, err)
			}
		case "USER":
			img.uid, _, _ = strings.Cut(arg, ":")
		case "EXPOSE":
			for _, p := range strings.Fields(arg) {
				port, _, _ := strings.Cut(p, "/")
				img.expose = append(img.expose, port)
			}
		}
	}
	if img.entrypoint == nil || img.cmd == nil || img.uid == "" || img.expose == nil {
		t.Fatalf("Dockerfile's final stage lacks ENTRYPOINT, CMD, USER or EXPOSE: %+v", img)
	}
	return img
}

// The Kubernetes fields the tests read.
type (
	meta struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
	labelSelector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	}
	deployment struct {
		Spec struct {
			Replicas *int `json:"replicas"`
			Strategy struct {
				Type          string `json:"type"`
				RollingUpdate struct {
					MaxUnavailable intOrString `json:"maxUnavailable"`
				} `json:"rollingUpdate"`
			} `json:"strategy"`
			Selector labelSelector `json:"selector"`
			Template struct {
				Metadata meta    `json:"metadata"`
				Spec     podSpec `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	podSpec struct {
		AutomountServiceAccountToken  *bool `json:"automountServiceAccountToken"`
		TerminationGracePeriodSeconds *int  `json:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot   *bool  `json:"runAsNonRoot"`
			RunAsUser      *int64 `json:"runAsUser"`
			SeccompProfile struct {
				Type string `json:"type"`
			} `json:"seccompProfile"`
		} `json:"securityContext"`
		Containers []container `json:"containers"`
		Volumes    []struct {
			Name      string `json:"name"`
			ConfigMap *struct {
				Name string `json:"name"`
			} `json:"configMap"`
		} `json:"volumes"`
	}
	container struct {
		Name    string   `json:"name"`
		Image   string   `json:"image"`
		Command []string `json:"command"`
		Args    []string `json:"args"`
		Ports   []struct {
			Name          string `json:"name"`
			ContainerPort int    `json:"containerPort"`
		} `json:"ports"`
		Env            []envVar `json:"env"`
		ReadinessProbe *probe   `json:"readinessProbe"`
		LivenessProbe  *probe   `json:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `json:"requests"`
			Limits   map[string]string `json:"limits"`
		} `json:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool  `json:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool  `json:"readOnlyRootFilesystem"`
			RunAsUser                *int64 `json:"runAsUser"`
			Capabilities             struct {
				Add  []string `json:"add"`
				Drop []string `json:"drop"`
			} `json:"capabilities"`
		} `json:"securityContext"`
		VolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
			ReadOnly  bool   `json:"readOnly"`
		} `json:"volumeMounts"`
	}
	envVar struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name     string `json:"name"`
				Key      string `json:"key"`
				Optional *bool  `json:"optional"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	}
	probe struct {
		HTTPGet *struct {
			Path string      `json:"path"`
			Port intOrString `json:"port"`
		} `json:"httpGet"`
	}
)

// intOrString is Kubernetes' IntOrString: a port number or name, a count
// or a percentage.
type intOrString string

func (v *intOrString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = intOrString(s)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("neither a number nor a string: %s", b)
	}
	*v = intOrString(strconv.Itoa(n))
	return nil
}

func (v intOrString) String() string { return string(v) }

func containerPort(c container, name string) int {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// resolvePort turns a port number or a container port's name into the
// number.
func resolvePort(c container, p intOrString) int {
	if n, err := strconv.Atoi(p.String()); err == nil {
		return n
	}
	return containerPort(c, p.String())
}

func findEnv(c container, name string) (envVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return envVar{}, false
}

func envValue(c container, name string) (string, bool) {
	e, ok := findEnv(c, name)
	return e.Value, ok && e.ValueFrom == nil
}

// flagValue returns the value of --name in args ("--name v" or
// "--name=v").
func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// quantity reads the resource quantities these manifests use, in base
// units: CPU as "100m" or "1", memory as "128Mi" or "1Gi", and
// GOMEMLIMIT's "460MiB".
func quantity(s string) (float64, error) {
	units := []struct {
		suffix string
		factor float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"m", 1e-3}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			return v * u.factor, err
		}
	}
	return strconv.ParseFloat(s, 64)
}

// matches reports whether every selector label is among labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
