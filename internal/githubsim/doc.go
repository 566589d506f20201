// Package githubsim is an in-memory GitHub served over real HTTP on
// 127.0.0.1, for end-to-end tests, `launchgate demo` and load tests. It
// speaks the REST and GraphQL subsets launchgate uses, answers with
// GitHub's status codes, error bodies ({"message", "documentation_url"}),
// pagination Link headers and limits, and delivers signed webhooks to the
// App. Everything is guarded by one mutex; handlers do work proportional to
// the page they return (a pull request's diff is computed once per head).
//
// # Starting
//
//	sim, err := githubsim.Start(githubsim.Options{AppID: 1, PrivateKey: key,
//		WebhookURL: appURL + "/api/github/hook", WebhookSecret: "s"})
//	defer sim.Close()
//	client := github.NewClient(nil).WithAuthToken(tok)
//	client, _ = client.WithEnterpriseURLs(sim.URL(), sim.URL()) // REST at /api/v3/
//	// GraphQL: sim.GraphQLURL() (/api/graphql)
//
// # Driving state (each change delivers the webhooks GitHub would)
//
//	AddInstallation(account) / AddApp + InstallApp   installations
//	AddRepo(owner, name, branch, files)              first commit
//	Push(owner, name, branch, files)                 push, check_suite requested, pull_request synchronize
//	OpenPR(owner, name, PRSpec{…})                   pull_request opened
//	Label, Unlabel, EditTitle, EditBody, SetDraft, ClosePR, ReopenPR
//	SubmitReview, DismissReview                      pull_request_review submitted/dismissed
//	AddComment, EditComment                          issue_comment created/edited (sender = the person)
//	AddTeam, RemoveTeamMember, RestrictTeam          teams and their repository access
//	AddOrgMember, AddCollaborator, SetRepoPrivate    who may read what (users.go)
//	SetOAuthApp, UserToken                           the App's OAuth credentials; a user token without the browser
//	RerequestCheckRun, RequestCheckRunAction, RequestCheckSuite   UI buttons
//	SetWebhookURL, SetRateLimit, InjectFaults
//
// State-driving methods deliver synchronously (they return once the
// receiver answered) without holding the lock, so the App may call back
// into the API. Webhooks caused by API requests (the App's comment, check
// run or review request) and redeliveries are sent asynchronously, as on
// GitHub; WaitForDeliveries waits for them.
//
// # Observing
//
//	CheckRuns(owner, name, sha)   runs with output and all annotations
//	CheckRunActions(id)           a run's action buttons
//	Comments(owner, name, n)      a pull request's comments
//	Deliveries()                  every webhook delivery attempt
//	Requests(), ResetRequests()   every API request (method, path, query, body, status)
//
// # REST endpoints (relative to URL())
//
//	App JWT:   GET /app, GET /app/installations, GET /app/installations/{id},
//	           POST /app/installations/{id}/access_tokens, GET /repos/{o}/{r}/installation,
//	           GET /orgs/{org}/installation, GET /app/hook/deliveries[/{id}],
//	           POST /app/hook/deliveries/{id}/attempts
//	Installation token:
//	           GET /installation/repositories, GET /repos/{o}/{r},
//	           GET /repos/{o}/{r}/git/trees/{sha}[?recursive=1], GET …/git/blobs/{sha},
//	           GET …/contents/{path}[?ref=], GET …/commits/{ref},
//	           GET …/pulls[?state=], GET …/pulls/{n}, GET …/pulls/{n}/files, GET …/pulls/{n}/reviews,
//	           POST …/pulls/{n}/requested_reviewers,
//	           POST …/check-runs, GET|PATCH …/check-runs/{id}, GET …/check-runs/{id}/annotations,
//	           GET …/commits/{ref}/check-runs,
//	           GET|POST …/issues/{n}/comments, GET|PATCH …/issues/comments/{id},
//	           GET /orgs/{org}/teams/{slug}, GET /orgs/{org}/teams/{slug}/memberships/{user},
//	           GET …/rules/branches/{branch} (AddBranchRule),
//	           GET …/branches/{branch}/protection/required_status_checks (ProtectBranch)
//	User access token (oauth.go, users.go):
//	           GET /user, GET /user/memberships/orgs/{org}, GET /user/teams,
//	           GET /user/installations/{id}/repositories, GET /repos/{o}/{r}
//	Client id and secret (Basic): DELETE /applications/{client_id}/token
//	GraphQL:   POST /api/graphql, the subset described in graphql.go (files,
//	           pull requests, check runs, and a branch's rules and protection).
//
// Anything else is 404 {"message": "Not Found"}.
//
// # The OAuth web flow (relative to WebURL())
//
//	GET|POST /login/oauth/authorize   a sign-in form standing for GitHub's sign-in and consent
//	POST /login/oauth/access_token    the code (and its PKCE verifier) for a user access token (8 hours)
//
// # Simplifications
//
// All accounts are organizations and every installation covers all of its
// account's repositories with fixed permissions (checks and pull requests
// write, contents read, …); permissions are not enforced per endpoint, but
// for Administration (Options.DenyAdministration).
// Repositories are private unless SetRepoPrivate makes them public;
// organization members read all of their organization's repositories.
// Files are mode 100644 (no symlinks,
// submodules, tags or renames); commits are dated from 2024-01-01 one
// minute apart so their SHAs are deterministic. Pull requests cannot be
// merged. Only the simulator's own App (Options.AppID) has a webhook.
package githubsim
