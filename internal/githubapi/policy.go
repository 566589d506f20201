package githubapi

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/policy"
)

// PolicyPath is where a policy lives: in the repository at the pull
// request's base SHA, or in the owner's ".github" repository on its default
// branch.
const PolicyPath = ".github/launchgate.yml"

// orgPolicyRepo is the repository that holds an organization's (or user's)
// defaults, as for GitHub's community health files.
const orgPolicyRepo = ".github"

// repoPolicySource and orgPolicySource name the policy files Policy reads,
// in its policies' Source.
func repoPolicySource(pr PullRequest) string {
	return fmt.Sprintf("%s@%s:%s", pr.fullName(), pr.BaseSHA, PolicyPath)
}

func orgPolicySource(pr PullRequest) string {
	return fmt.Sprintf("%s/%s:%s (default branch)", pr.Owner, orgPolicyRepo, PolicyPath)
}

// PolicyURL is the page on GitHub (webURL, "https://github.com") of the
// file the policy Policy returned for pr was read from: the repository's
// at the base commit, or the owner's on the default branch of its
// ".github" repository (HEAD, as Policy reads it). It is "" for the
// embedded default, which no repository holds, and for a source Policy
// did not write.
func PolicyURL(webURL string, pr PullRequest, source string) string {
	switch source {
	case repoPolicySource(pr):
		return fmt.Sprintf("%s/%s/%s/blob/%s/%s", webURL, url.PathEscape(pr.Owner), url.PathEscape(pr.Repo), pr.BaseSHA, PolicyPath)
	case orgPolicySource(pr):
		return fmt.Sprintf("%s/%s/%s/blob/HEAD/%s", webURL, url.PathEscape(pr.Owner), orgPolicyRepo, PolicyPath)
	}
	return ""
}

// codeownersMaxSize: GitHub ignores CODEOWNERS files of 3 MB or more
// (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners).
const codeownersMaxSize = 3 << 20

// policyResult is a policy file as read: absent, or its parse result.
type policyResult struct {
	present bool
	policy  *policy.Policy
	err     error // policy.Errors for a file that does not parse
}

// baseFiles are the files an evaluation reads from the base SHA. They never
// change for a SHA, so they are cached for as long as memory allows.
type baseFiles struct {
	policy        policyResult
	codeowners    *codeowners.File // nil when none of codeowners.Locations exists
	codeownersErr error
}

// orgPolicy is the owner's policy from its ".github" repository, which can
// change at any time; it is reused for Options.OrgPolicyTTL.
type orgPolicy struct {
	policyResult
	fetched time.Time
}

// Policy returns the policy that governs pr: PolicyPath at pr.BaseSHA, else
// PolicyPath on the default branch of the owner's ".github" repository,
// else policy.Default(). The base SHA matters: a pull request must not be
// able to weaken its own gate, so a policy added or changed by the pull
// request itself is ignored until it is merged.
//
// When the repository's policy governs and the owner has a policy too, the
// repository's must keep the owner's floor (policy.CheckFloor): one that
// loosens an enforced item is an error of type policy.Errors naming both
// files' lines. An owner's policy that does not parse is then the error too,
// since without it the floor is unknown.
//
// A policy file that exists but does not parse is an error of type
// policy.Errors, with lines, whose source names the file
// ("acme/api@<sha>:.github/launchgate.yml"): the caller publishes a failure
// and never falls through to a laxer policy. Only absence falls through (on
// GitHub, a repository the App cannot read is absent too: GitHub answers
// both with NOT_FOUND). Any other failure is an error: fail closed.
//
// The returned policy is shared with other callers and must not be
// modified.
func (c *Client) Policy(ctx context.Context, pr PullRequest) (*policy.Policy, error) {
	base, org, err := c.gatherBase(ctx, pr, true)
	if err != nil {
		return nil, err
	}
	switch {
	case base.policy.present && base.policy.err != nil:
		return nil, base.policy.err
	case base.policy.present && org.present && org.err != nil:
		return nil, org.err
	case base.policy.present && org.present:
		if err := policy.CheckFloor(org.policy, base.policy.policy); err != nil {
			return nil, err
		}
		return base.policy.policy, nil
	case base.policy.present:
		return base.policy.policy, nil
	case org.present:
		return org.policy, org.err
	}
	p, err := policy.Default()
	if err != nil {
		return nil, fmt.Errorf("githubapi: the embedded default policy is broken: %w", err)
	}
	return p, nil
}

// CodeOwners returns the CODEOWNERS file at pr.BaseSHA, the first of
// codeowners.Locations that exists (GitHub's lookup order), or nil when
// there is none. It is fetched in the same request as the policy and cached
// with it. A file of 3 MB or more is an error: GitHub ignores it, so nobody
// would own anything.
func (c *Client) CodeOwners(ctx context.Context, pr PullRequest) (*codeowners.File, error) {
	base, _, err := c.gatherBase(ctx, pr, false)
	if err != nil {
		return nil, err
	}
	return base.codeowners, base.codeownersErr
}

// gatherBase returns the base files of pr and, when wantOrg, the owner's
// policy (the fallback when the repository has none, and the floor when it
// has one). It sends at most one GraphQL
// request, asking only for what is not cached. Files at a SHA are cached
// indefinitely; when the repository part must be fetched, a stale org part is
// fetched with it, since it costs nothing extra.
func (c *Client) gatherBase(ctx context.Context, pr PullRequest, wantOrg bool) (*baseFiles, *orgPolicy, error) {
	if err := CheckSHA("base SHA", pr.BaseSHA); err != nil {
		return nil, nil, err
	}
	baseKey := pr.fullName() + "@" + pr.BaseSHA
	orgKey := strings.ToLower(pr.Owner)
	base, haveBase := c.bases.Get(baseKey)
	org, haveOrg := c.orgPolicy.Get(orgKey)
	orgFresh := haveOrg && c.opts.Now().Sub(org.fetched) < c.opts.OrgPolicyTTL
	needOrg := wantOrg && !orgFresh
	if haveBase && !needOrg {
		return base, org, nil
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, nil, err
	}
	q := baseQuery{pr: pr, repo: !haveBase, org: !orgFresh}
	fetched, err := q.run(ctx, ic)
	if err != nil {
		return nil, nil, fmt.Errorf("githubapi: reading the policy and CODEOWNERS of %s at %s: %w", pr.fullName(), pr.BaseSHA, err)
	}
	if q.repo {
		if base, err = c.parseBase(ctx, ic, pr, fetched); err != nil {
			return nil, nil, err
		}
		c.bases.Add(baseKey, base)
	}
	if q.org {
		org = &orgPolicy{fetched: c.opts.Now()}
		org.policyResult, err = c.parsePolicy(ctx, ic, pr.Owner, orgPolicyRepo, fetched.orgPolicy, orgPolicySource(pr))
		if err != nil {
			return nil, nil, err
		}
		c.orgPolicy.Add(orgKey, org)
	}
	return base, org, nil
}

// baseQuery reads the policy and CODEOWNERS at the base SHA (repo) and the
// owner's policy (org) in one GraphQL request, through object(expression:)
// aliases.
type baseQuery struct {
	pr        PullRequest
	repo, org bool
}

type baseAnswer struct {
	policy     *gqlBlob
	codeowners []*gqlBlob // parallel to codeowners.Locations
	orgPolicy  *gqlBlob
}

func (q baseQuery) run(ctx context.Context, ic *instClient) (*baseAnswer, error) {
	// GraphQL rejects declared variables that the query does not use.
	decl, vars := []string{"$owner: String!"}, map[string]any{"owner": q.pr.Owner}
	if q.repo {
		decl, vars["name"] = append(decl, "$name: String!"), q.pr.Repo
	}
	if q.org {
		decl, vars["orgRepo"] = append(decl, "$orgRepo: String!"), orgPolicyRepo
	}
	var b strings.Builder
	fmt.Fprintf(&b, "query(%s) {\n", strings.Join(decl, ", "))
	if q.repo {
		b.WriteString("  repo: repository(owner: $owner, name: $name) {\n")
		// The SHA is checked to be hex, and the paths are constants: nothing
		// from the pull request reaches the query text unchecked.
		fmt.Fprintf(&b, "    policy: object(expression: %q) %s\n", q.pr.BaseSHA+":"+PolicyPath, blobSelection)
		for i, loc := range codeowners.Locations {
			fmt.Fprintf(&b, "    co%d: object(expression: %q) %s\n", i, q.pr.BaseSHA+":"+loc, blobSelection)
		}
		b.WriteString("  }\n")
	}
	if q.org {
		fmt.Fprintf(&b, "  org: repository(owner: $owner, name: $orgRepo) {\n    policy: object(expression: %q) %s\n  }\n",
			"HEAD:"+PolicyPath, blobSelection)
	}
	b.WriteString("}")
	var data struct {
		Repo map[string]*gqlBlob `json:"repo"`
		Org  map[string]*gqlBlob `json:"org"`
	}
	errs, err := ic.graphql(ctx, b.String(), vars, &data)
	if err != nil {
		return nil, err
	}
	for i := range errs {
		// The org's ".github" repository may not exist, or the App may not be
		// installed on it: both are NOT_FOUND, and both mean "no org policy".
		if errs[i].Type == "NOT_FOUND" && errs[i].at("org") {
			continue
		}
		return nil, &errs[i]
	}
	if q.repo && data.Repo == nil {
		return nil, fmt.Errorf("repository %s did not resolve", q.pr.fullName())
	}
	ans := &baseAnswer{policy: data.Repo["policy"], orgPolicy: data.Org["policy"]}
	for i := range codeowners.Locations {
		ans.codeowners = append(ans.codeowners, data.Repo[fmt.Sprintf("co%d", i)])
	}
	return ans, nil
}

func (c *Client) parseBase(ctx context.Context, ic *instClient, pr PullRequest, ans *baseAnswer) (*baseFiles, error) {
	base := &baseFiles{}
	var err error
	base.policy, err = c.parsePolicy(ctx, ic, pr.Owner, pr.Repo, ans.policy, repoPolicySource(pr))
	if err != nil {
		return nil, err
	}
	for i, loc := range codeowners.Locations {
		blob := ans.codeowners[i]
		// GitHub takes the first location that holds a file; a directory
		// named CODEOWNERS does not count.
		if blob == nil || blob.Typename != "Blob" {
			continue
		}
		if blob.ByteSize >= codeownersMaxSize {
			base.codeownersErr = fmt.Errorf("githubapi: %s@%s:%s is %d bytes; GitHub ignores CODEOWNERS files of 3 MB or more", pr.fullName(), pr.BaseSHA, loc, blob.ByteSize)
			break
		}
		data, err := c.blobData(ctx, ic, pr.Owner, pr.Repo, blob)
		if err != nil {
			return nil, fmt.Errorf("githubapi: reading %s@%s:%s: %w", pr.fullName(), pr.BaseSHA, loc, err)
		}
		base.codeowners = codeowners.Parse(loc, data)
		break
	}
	return base, nil
}

// parsePolicy turns a policy blob into a policyResult. Problems with the
// file itself (a directory, a binary file, too large, not valid) are
// policy.Errors: the file is there, so it is the policy, and it is broken.
func (c *Client) parsePolicy(ctx context.Context, ic *instClient, owner, repo string, blob *gqlBlob, source string) (policyResult, error) {
	broken := func(format string, args ...any) policyResult {
		return policyResult{present: true, err: policy.Errors{{Source: source, Msg: fmt.Sprintf(format, args...)}}}
	}
	switch {
	case blob == nil:
		return policyResult{}, nil
	case blob.Typename != "Blob":
		return broken("%s is a %s, not a file", PolicyPath, strings.ToLower(blob.Typename)), nil
	case blob.ByteSize > policy.MaxSize:
		return broken("policy is %d bytes; the limit is %d", blob.ByteSize, policy.MaxSize), nil
	}
	data, err := c.blobData(ctx, ic, owner, repo, blob)
	if err != nil {
		return policyResult{}, fmt.Errorf("githubapi: reading %s: %w", source, err)
	}
	p, err := policy.Parse(source, data)
	return policyResult{present: true, policy: p, err: err}, nil
}

// blobData returns a blob's bytes: the GraphQL text when it is complete,
// else the blob read over REST.
func (c *Client) blobData(ctx context.Context, ic *instClient, owner, repo string, blob *gqlBlob) ([]byte, error) {
	if data, ok := blob.text(); ok {
		return data, nil
	}
	return c.restBlob(ctx, ic, owner, repo, blob.OID)
}
