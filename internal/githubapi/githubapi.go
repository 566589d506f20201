// Package githubapi is launchgate's door to GitHub for evaluations: it
// gathers what an evaluation reads (the policy and CODEOWNERS from the base
// branch, the changed files, the head tree as an fs.FS) and publishes the
// result as one check run per head SHA. It counts every request it sends and
// avoids the ones it can: everything addressed by a SHA is immutable and
// cached, reads are batched through GraphQL, the check-run listing is a
// conditional request, and a check run whose content did not change is not
// written.
//
// Nothing here runs code from a pull request, and nothing unreadable turns
// into a pass: a read that fails is an error for the caller, never an empty
// file or a laxer policy.
package githubapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/lru"
)

// PullRequest identifies what to evaluate; the server fills it from the
// webhook payload.
type PullRequest struct {
	InstallationID int64
	// Owner and Repo name the BASE repository. A fork's head commits are
	// read through it: GitHub serves a pull request's head commits from the
	// base repository.
	Owner, Repo string
	Number      int
	Title       string
	Author      string
	Labels      []string
	Draft       bool
	HeadSHA     string
	BaseSHA     string
	BaseRef     string
	// CreatedAt is when the pull request was opened, the zero time when
	// unknown; the details page shows it, nothing is judged on it.
	CreatedAt time.Time
	// ChangedFiles is the payload's pull_request.changed_files, 0 when
	// unknown. ChangedFiles uses it to tell whether GitHub's file list was
	// cut at 3,000 files.
	ChangedFiles int
}

func (pr PullRequest) fullName() string { return pr.Owner + "/" + pr.Repo }

// Options configures a Client. The zero value works except for AppID, which
// PublishCheckRun needs.
type Options struct {
	// AppID is the GitHub App's ID. Check-run listings also return other
	// Apps' runs with the same name; only runs of this App are ours.
	AppID int64
	// GraphQLURL is the GraphQL endpoint. Default: derived from the REST
	// root, "https://api.github.com/graphql" for github.com and
	// "https://HOST/api/graphql" for GitHub Enterprise Server's
	// "https://HOST/api/v3/".
	GraphQLURL string
	// MaxBlobSize is the largest file HeadTree reads. Default
	// inspect.MaxFileSize.
	MaxBlobSize int64
	// CacheSize is the number of entries in each by-SHA cache (trees, blobs,
	// base-branch files, changed-file lists). Default 1024.
	CacheSize int
	// CacheBytes bounds, approximately, the memory of the blob cache and of
	// the tree cache, each. Default 64 MiB.
	CacheBytes int64
	// OrgPolicyTTL is how long the organization's policy (read from the
	// default branch of its ".github" repository, which can change at any
	// time, unlike a file at a SHA) is reused before it is read again.
	// Default 1 minute.
	OrgPolicyTTL time.Duration
	// OnRequest, when set, is called after every request with its endpoint
	// template ("GET /repos/{owner}/{repo}/git/trees/{sha}") and HTTP status
	// (0 when no response arrived), e.g. to feed a Prometheus counter.
	OnRequest func(endpoint string, status int)
	Logger    zerolog.Logger
	// MembershipTTL is how long an answer about a team membership is
	// reused (ActiveMember); 0 reuses none, and every question asks GitHub.
	MembershipTTL time.Duration
	// RequiredTTL is how long an answer of RequiredCheck (does a branch
	// require the App's check) is reused before it is revalidated.
	// Default 10 minutes.
	RequiredTTL time.Duration
	// Now is the clock for OrgPolicyTTL, MembershipTTL and RequiredTTL.
	// Default time.Now.
	Now func() time.Time
}

const (
	defaultCacheSize    = 1024
	defaultCacheBytes   = 64 << 20
	defaultOrgPolicyTTL = time.Minute
)

// Client gathers from and publishes to GitHub for evaluations. It is safe
// for concurrent use; its caches are shared by all installations, keyed by
// repository and SHA.
type Client struct {
	cc    githubapp.ClientCreator
	opts  Options
	log   zerolog.Logger
	meter *meter

	mu      sync.Mutex
	clients map[int64]*instClient

	trees     *lru.Cache[*tree]         // "owner/repo@commitSHA"
	blobs     *lru.Cache[[]byte]        // blob SHA
	bases     *lru.Cache[*baseFiles]    // "owner/repo@baseSHA"
	files     *lru.Cache[filesResult]   // "owner/repo#n@base..head"
	orgPolicy *lru.Cache[*orgPolicy]    // org login, checked against OrgPolicyTTL
	runs      *lru.Cache[*runListCache] // "owner/repo@headSHA:name": ETag and result of the last listing

	members    *memberships
	commentIDs *lru.Cache[int64]          // "owner/repo#n:marker" → comment ID (MarkedComment)
	diffs      *lru.Cache[[]string]       // "owner/repo@from..head" → ChangedSince
	required   *lru.Cache[*requiredEntry] // "owner/repo:branch:name" → RequiredCheck's last read
	appMu      sync.Mutex
	appLogin   string // AppLogin, once read
}

// NewClient returns a Client that makes its requests with installation
// clients from cc. cc should not cache responses itself
// (githubapp.WithClientCaching): this package caches what is immutable and
// revalidates the one listing that is not, and an HTTP cache that serves a
// check-run listing from memory for its max-age could make it create a
// duplicate run.
func NewClient(cc githubapp.ClientCreator, opts Options) *Client {
	if opts.MaxBlobSize <= 0 {
		opts.MaxBlobSize = inspect.MaxFileSize
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = defaultCacheSize
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = defaultCacheBytes
	}
	if opts.OrgPolicyTTL <= 0 {
		opts.OrgPolicyTTL = defaultOrgPolicyTTL
	}
	if opts.RequiredTTL <= 0 {
		opts.RequiredTTL = defaultRequiredTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	n := opts.CacheSize
	return &Client{
		cc:        cc,
		opts:      opts,
		log:       opts.Logger,
		meter:     &meter{hook: opts.OnRequest, counts: map[RequestKey]int{}},
		clients:   map[int64]*instClient{},
		trees:     lru.New(n, opts.CacheBytes, (*tree).cost),
		blobs:     lru.New(n, opts.CacheBytes, func(b []byte) int64 { return int64(len(b)) }),
		bases:     lru.New[*baseFiles](n, 0, nil),
		files:     lru.New(n, opts.CacheBytes, func(f filesResult) int64 { return int64(len(f.files)) * 64 }),
		orgPolicy: lru.New[*orgPolicy](n, 0, nil),
		runs:      lru.New[*runListCache](n, 0, nil),
		// The human half of an evaluation (teams.go, comments.go, treediff.go).
		members:    newMemberships(opts.MembershipTTL, opts.Now, n),
		commentIDs: lru.New[int64](n, 0, nil),
		diffs:      lru.New(n, opts.CacheBytes, func(d []string) int64 { return int64(len(d))*64 + 64 }),
		required:   lru.New[*requiredEntry](n, 0, nil),
	}
}

// Requests returns the counts of the requests sent so far.
func (c *Client) Requests() RequestStats { return c.meter.stats() }

// instClient is an installation's metered clients.
type instClient struct {
	rest       *github.Client
	http       *http.Client // the same metered, authenticated transport, for GraphQL
	graphqlURL string
}

// installation returns an installation's metered clients. They are kept for
// the life of the Client: each holds an installation token that
// ghinstallation renews, and a new client would request a new token.
func (c *Client) installation(id int64) (*instClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ic, ok := c.clients[id]; ok {
		return ic, nil
	}
	gh, err := c.cc.NewInstallationClient(id)
	if err != nil {
		return nil, fmt.Errorf("githubapi: client for installation %d: %w", id, err)
	}
	gqlURL, err := c.graphqlURL(gh.BaseURL)
	if err != nil {
		return nil, err
	}
	// Client() returns a copy of the http.Client, so wrapping its transport
	// does not change a client the ClientCreator may have cached and handed
	// to others.
	hc := gh.Client()
	transport := hc.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	hc.Transport = c.meter.wrap(transport, strings.TrimSuffix(gh.BaseURL.Path, "/"), gqlURL.Path)
	rest := github.NewClient(hc)
	rest.BaseURL, rest.UploadURL, rest.UserAgent = gh.BaseURL, gh.UploadURL, gh.UserAgent
	ic := &instClient{rest: rest, http: hc, graphqlURL: gqlURL.String()}
	c.clients[id] = ic
	return ic, nil
}

func (c *Client) graphqlURL(rest *url.URL) (*url.URL, error) {
	if c.opts.GraphQLURL != "" {
		u, err := url.Parse(c.opts.GraphQLURL)
		if err != nil {
			return nil, fmt.Errorf("githubapi: GraphQL URL %q: %w", c.opts.GraphQLURL, err)
		}
		return u, nil
	}
	u := *rest
	if strings.HasSuffix(u.Path, "/api/v3/") {
		// GitHub Enterprise Server: REST at /api/v3/, GraphQL at /api/graphql.
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return &u, nil
}

// shaPattern accepts the object IDs of SHA-1 and SHA-256 repositories.
var shaPattern = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// CheckSHA refuses sha, named what in the error, unless it is a full
// lower-case hex object ID. SHAs from webhooks are written into GraphQL
// expressions and URL paths, so anything else is refused before it gets
// there.
func CheckSHA(what, sha string) error {
	if !shaPattern.MatchString(sha) {
		return fmt.Errorf("%s %q is not a full lower-case hex object ID", what, sha)
	}
	return nil
}

// RetryAfter tells how long to wait before retrying a request that failed
// with err, when err is a rate limit: the Retry-After of a secondary limit
// (403 or 429), else at least a minute, or the reset time of an exhausted
// primary limit
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
// ok is false for other errors.
func RetryAfter(err error, now time.Time) (wait time.Duration, ok bool) {
	var paced *RateLimitedError
	if errors.As(err, &paced) {
		return max(paced.Until.Sub(now), 0), true
	}
	var secondary *github.AbuseRateLimitError
	if errors.As(err, &secondary) {
		if d := secondary.GetRetryAfter(); d > 0 {
			return d, true
		}
		return time.Minute, true
	}
	var primary *github.RateLimitError
	if errors.As(err, &primary) {
		return max(primary.Rate.Reset.Time.Sub(now), 0), true
	}
	// go-github v60 recognises secondary limits only on 403; GitHub may
	// answer 429 too.
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusTooManyRequests {
		if s, convErr := strconv.Atoi(er.Response.Header.Get("Retry-After")); convErr == nil && s > 0 {
			return time.Duration(s) * time.Second, true
		}
		return time.Minute, true
	}
	var gql *GraphQLError
	if errors.As(err, &gql) && gql.Type == "RATE_LIMITED" {
		return time.Minute, true
	}
	return 0, false
}
