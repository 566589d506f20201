package githubsim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GitHub's web application flow for GitHub Apps, on the web root
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app):
//
//  1. The App sends the browser to GET /login/oauth/authorize?client_id&
//     redirect_uri&state (login prefills the user's login). The simulator
//     shows a small sign-in form in place of GitHub's sign-in and consent
//     pages; posting it sends the browser to redirect_uri?code&state.
//  2. The App exchanges the code at POST /login/oauth/access_token
//     (client_id, client_secret, code, redirect_uri; form, query or JSON)
//     for a user access token "ghu_…" that expires after 8 hours, with a
//     refresh token. The answer is JSON with "Accept: application/json",
//     else form-encoded; errors are a 200 with "error", as in
//     https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors.
//
// A code works once, for ten minutes, and only with the client id and
// redirect_uri it was issued for. With PKCE (RFC 7636; GitHub accepts the
// S256 method only, https://github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication),
// the authorize request's code_challenge binds the code to the
// code_verifier the exchange must send; a missing or wrong verifier is
// answered like a bad code.
const (
	authorizePath        = "/login/oauth/authorize"
	accessTokenPath      = "/login/oauth/access_token"
	codeLifetime         = 10 * time.Minute
	userTokenLifetime    = 8 * time.Hour
	refreshTokenLifetime = 15897600 * time.Second // six months, GitHub's refresh_token_expires_in
	docsTokenErrors      = "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
	docsAuthorizeErrors  = "/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/"
	docsDeleteAppToken   = "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token"
	maxOAuthRequestBody  = 64 << 10
)

// oauthCode is an authorization code waiting to be exchanged.
type oauthCode struct {
	app         *app
	login       string
	redirectURI string
	challenge   string // PKCE code_challenge (S256), or ""
	expires     time.Time
}

// userToken is a user access token: the user, through one App.
type userToken struct {
	app     *app
	login   string
	expires time.Time
}

// oauthError is the token endpoint's error answer.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	URI         string `json:"error_uri"`
}

var (
	errClientCredentials = oauthError{"incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", docsTokenErrors + "#incorrect-client-credentials"}
	errRedirectMismatch  = oauthError{"redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", docsAuthorizeErrors + "#redirect-uri-mismatch2"}
	errBadCode           = oauthError{"bad_verification_code", "The code passed is incorrect or expired.", docsTokenErrors + "#bad-verification-code"}
)

// SetOAuthApp gives the simulator's App (Options.AppID) its OAuth client id
// and client secret, which the web flow requires.
func (s *Server) SetOAuthApp(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[s.opts.AppID]
	a.clientID, a.clientSecret = clientID, secret
}

// WebURL is the web root (http://127.0.0.1:PORT), GitHub's
// https://github.com: the OAuth web flow lives there.
func (s *Server) WebURL() string { return s.base }

func (s *Server) appByClientID(clientID string) *app {
	if clientID == "" {
		return nil
	}
	for _, a := range s.apps {
		if a.clientID == clientID {
			return a
		}
	}
	return nil
}

// recordWeb records a web-flow request without its query or body.
func (s *Server) recordWeb(r *http.Request, status int) {
	s.requests = append(s.requests, RecordedRequest{Method: r.Method, Path: r.URL.Path, Status: status})
}

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to GitHub (simulated)</title></head>
<body><main>
<h1>Sign in to GitHub to continue to {{.App}}</h1>
{{with .Problem}}<p role="alert">{{.}}</p>{{end}}
<form method="post" action="` + authorizePath + `">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="code_challenge" value="{{.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{.ChallengeMethod}}">
<label for="login">Username</label>
<input id="login" name="login" value="{{.Login}}" autocomplete="username" required>
<button type="submit">Authorize {{.App}}</button>
</form>
</main></body></html>
`))

type signInForm struct {
	App, ClientID, RedirectURI, State, Login, Problem string
	Challenge, ChallengeMethod                        string
}

// GET /login/oauth/authorize: the sign-in form. An unknown client id is a
// 404, as on GitHub.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	a := s.appByClientID(q.Get("client_id"))
	status := http.StatusOK
	if a == nil {
		status = http.StatusNotFound
	}
	s.recordWeb(r, status)
	s.mu.Unlock()
	if a == nil {
		http.NotFound(w, r)
		return
	}
	renderSignIn(w, status, signInForm{
		App: a.slug, ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		State: q.Get("state"), Login: q.Get("login"),
		Challenge: q.Get("code_challenge"), ChallengeMethod: q.Get("code_challenge_method"),
	})
}

func renderSignIn(w http.ResponseWriter, status int, f signInForm) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = signInPage.Execute(w, f)
}

// POST /login/oauth/authorize: the simulated user signed in as login and
// authorized the App; the browser goes back to redirect_uri with a code
// and the state, unchanged.
func (s *Server) authorizeGrant(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxOAuthRequestBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := signInForm{
		ClientID: r.PostFormValue("client_id"), RedirectURI: r.PostFormValue("redirect_uri"),
		State: r.PostFormValue("state"), Login: strings.TrimSpace(r.PostFormValue("login")),
		Challenge: r.PostFormValue("code_challenge"), ChallengeMethod: r.PostFormValue("code_challenge_method"),
	}
	back, err := url.Parse(f.RedirectURI)
	s.mu.Lock()
	a := s.appByClientID(f.ClientID)
	status := http.StatusFound
	switch {
	case a == nil:
		status = http.StatusNotFound
	case err != nil || !back.IsAbs():
		// GitHub would fall back to the App's first callback URL; the
		// simulator has none registered, so it needs redirect_uri.
		status, f.Problem = http.StatusBadRequest, "redirect_uri must be an absolute URL"
	case f.Challenge != "" && f.ChallengeMethod != "S256":
		status, f.Problem = http.StatusBadRequest, "code_challenge_method must be S256"
	case !validLogin(f.Login):
		status, f.Problem = http.StatusUnprocessableEntity, "Enter a username: letters, digits and single hyphens."
	}
	var code string
	if status == http.StatusFound {
		f.Login = s.userLocked(f.Login).GetLogin()
		code = randomHex(10) // GitHub's codes are 20 hexadecimal characters
		s.codes[code] = &oauthCode{app: a, login: f.Login, redirectURI: f.RedirectURI, challenge: f.Challenge, expires: s.now().Add(codeLifetime)}
	}
	if a != nil {
		f.App = a.slug
	}
	s.recordWeb(r, status)
	s.mu.Unlock()
	switch status {
	case http.StatusFound:
		q := back.Query()
		q.Set("code", code)
		if f.State != "" {
			q.Set("state", f.State)
		}
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	case http.StatusNotFound:
		http.NotFound(w, r)
	default:
		renderSignIn(w, status, f)
	}
}

// validLogin accepts GitHub's username syntax: alphanumerics and single
// hyphens, not at either end, at most 39 characters.
func validLogin(login string) bool {
	if login == "" || len(login) > 39 || login[0] == '-' || login[len(login)-1] == '-' || strings.Contains(login, "--") {
		return false
	}
	for _, c := range login {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// POST /login/oauth/access_token: a code for a user access token.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request) {
	params, err := tokenParams(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	answer := s.exchangeLocked(params)
	s.recordWeb(r, http.StatusOK)
	s.mu.Unlock()
	writeTokenAnswer(w, r, answer)
}

// exchangeLocked checks the client, then the code; a code found for the
// client is spent whatever else is wrong, so that it is never tried twice.
// It returns an *oauthError or the token answer.
func (s *Server) exchangeLocked(p url.Values) any {
	a := s.appByClientID(p.Get("client_id"))
	if a == nil || subtle.ConstantTimeCompare([]byte(p.Get("client_secret")), []byte(a.clientSecret)) != 1 {
		return &errClientCredentials
	}
	code := s.codes[p.Get("code")]
	if code == nil || code.app != a {
		return &errBadCode
	}
	delete(s.codes, p.Get("code"))
	if !s.now().Before(code.expires) || !verifierMatches(code.challenge, p.Get("code_verifier")) {
		return &errBadCode
	}
	if uri := p.Get("redirect_uri"); uri != "" && uri != code.redirectURI {
		return &errRedirectMismatch
	}
	return map[string]any{
		"access_token":             s.issueUserTokenLocked(a, code.login),
		"expires_in":               int(userTokenLifetime / time.Second),
		"refresh_token":            "ghr_" + rand.Text() + rand.Text() + rand.Text()[:24],
		"refresh_token_expires_in": int(refreshTokenLifetime / time.Second),
		"scope":                    "",
		"token_type":               "bearer",
	}
}

// issueUserTokenLocked makes a user access token, "ghu_" and 36 characters
// like GitHub's, valid for 8 hours.
func (s *Server) issueUserTokenLocked(a *app, login string) string {
	tok := "ghu_" + rand.Text() + rand.Text()[:10]
	s.userTokens[tok] = &userToken{app: a, login: login, expires: s.now().Add(userTokenLifetime)}
	return tok
}

// tokenParams reads the token request's parameters from the query and
// from a form or JSON body; the body wins.
func tokenParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxOAuthRequestBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("reading the form: %w", err)
		}
		return r.Form, nil
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("reading the JSON body: %w", err)
	}
	params := r.URL.Query()
	for k, v := range body {
		if str, ok := v.(string); ok {
			params.Set(k, str)
		}
	}
	return params, nil
}

// writeTokenAnswer answers in JSON when the client accepts it, else
// form-encoded, as GitHub does; errors too are a 200.
func writeTokenAnswer(w http.ResponseWriter, r *http.Request, answer any) {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(answer)
		return
	}
	form := url.Values{}
	switch a := answer.(type) {
	case *oauthError:
		form.Set("error", a.Error)
		form.Set("error_description", a.Description)
		form.Set("error_uri", a.URI)
	case map[string]any:
		for k, v := range a {
			form.Set(k, fmt.Sprint(v))
		}
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	_, _ = w.Write([]byte(form.Encode()))
}

// authorizeClient checks Basic authentication with the client id in the
// path and its secret.
func (s *Server) authorizeClient(c *call) (reply, bool) {
	id, secret, ok := c.r.BasicAuth()
	a := s.appByClientID(c.r.PathValue("client_id"))
	if !ok || a == nil || id != a.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(a.clientSecret)) != 1 {
		return notFound(), false
	}
	c.app = a
	return reply{}, true
}

// DELETE /applications/{client_id}/token: revokes one of the App's user
// access tokens, named in the body as {"access_token": …}.
func (s *Server) deleteUserToken(c *call) reply {
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.AccessToken == "" {
		return validationFailed(docsDeleteAppToken, fieldError{Resource: "OauthAccess", Field: "access_token", Code: "missing_field"})
	}
	t := s.userTokens[body.AccessToken]
	if t == nil || t.app != c.app {
		return notFound()
	}
	delete(s.userTokens, body.AccessToken)
	return reply{status: http.StatusNoContent}
}

// UserToken issues a user access token for login through the simulator's
// App without the browser flow, for tests of what a signed-in user sees.
func (s *Server) UserToken(login string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueUserTokenLocked(s.apps[s.opts.AppID], s.userLocked(login).GetLogin())
}

// verifierMatches checks a PKCE code_verifier against the code's S256
// challenge: BASE64URL(SHA256(verifier)) without padding. A code issued
// without a challenge needs no verifier.
func verifierMatches(challenge, verifier string) bool {
	if challenge == "" {
		return true
	}
	sum := sha256.Sum256([]byte(verifier))
	return verifier != "" && subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
