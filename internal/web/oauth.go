package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Sign-in is GitHub's web application flow for GitHub Apps
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app):
// /login sends the browser to GitHub with a random state, which it also
// keeps in a short-lived sealed cookie; /login/callback accepts the code
// only with that state, in that browser, so that nobody can sign someone
// else in to their own account. PKCE (S256,
// https://github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication)
// binds the code to the same browser the other way round: a code taken
// from the callback URL is worthless without the verifier in that
// browser's cookie. The code is exchanged with the App's client secret
// and the verifier for a user access token, which stays in the sealed
// session cookie: never in a page, a URL or a log.

// oauthState is what the sign-in cookie holds between /login and the
// callback.
type oauthState struct {
	State string `json:"state"`
	// Verifier is the PKCE code_verifier: 43 characters of base64url.
	Verifier string    `json:"verifier"`
	Next     string    `json:"next"` // a local path, checked by localPath
	Expires  time.Time `json:"expires"`
}

// GET /login?next=/path
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	verifier := make([]byte, 32)
	_, _ = rand.Read(verifier)
	st := oauthState{
		State: rand.Text(), Verifier: base64.RawURLEncoding.EncodeToString(verifier),
		Next: localPath(r.URL.Query().Get("next")), Expires: h.now().Add(stateLifetime),
	}
	sealed, err := h.states.seal(st)
	if err != nil {
		h.log.Error().Err(err).Msg("web: sealing the sign-in state")
		writeMessage(w, http.StatusInternalServerError, "Sign-in failed", "launchgate could not start the sign-in.", "")
		return
	}
	h.setCookie(w, stateCookie, callbackPath, sealed, stateLifetime)
	q := url.Values{
		"client_id": {h.github.clientID}, "redirect_uri": {h.github.callback}, "state": {st.State},
		"code_challenge": {pkceChallenge(st.Verifier)}, "code_challenge_method": {"S256"},
	}
	http.Redirect(w, r, h.github.webURL+"/login/oauth/authorize?"+q.Encode(), http.StatusFound)
}

// GET /login/callback?code&state
func (h *handler) callback(w http.ResponseWriter, r *http.Request) {
	h.metrics.signIn(h.finishSignIn(w, r))
}

// finishSignIn answers the callback and says how the sign-in ended
// (signedIn, signInRefused, signInError).
func (h *handler) finishSignIn(w http.ResponseWriter, r *http.Request) string {
	q := r.URL.Query()
	// The state cookie serves once, whatever happens next.
	h.clearCookie(w, stateCookie, callbackPath)
	var st oauthState
	c, err := r.Cookie(stateCookie)
	if err == nil {
		err = h.states.open(c.Value, &st)
	}
	switch {
	case err != nil || !h.now().Before(st.Expires):
		writeMessage(w, http.StatusBadRequest, "Sign-in failed",
			"This sign-in was not started in this browser, or took more than ten minutes.", loginPath)
		return signInRefused
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1:
		h.log.Warn().Msg("web: sign-in callback with a state that is not this browser's; refused")
		writeMessage(w, http.StatusBadRequest, "Sign-in failed", "The sign-in answer does not belong to this browser's sign-in.", loginPath)
		return signInRefused
	case q.Get("error") != "":
		// The user declined, or GitHub refused the request.
		writeMessage(w, http.StatusForbidden, "Sign-in cancelled", "GitHub did not authorise the sign-in.", loginPath)
		return signInRefused
	}
	tok, err := h.github.exchange(r.Context(), q.Get("code"), st.Verifier)
	if err != nil {
		h.log.Warn().Err(err).Msg("web: exchanging a sign-in code")
		status, outcome := http.StatusBadGateway, signInError
		if errors.Is(err, errCodeRefused) {
			status, outcome = http.StatusBadRequest, signInRefused
		}
		writeMessage(w, status, "Sign-in failed", "GitHub did not accept the sign-in.", loginPath)
		return outcome
	}
	login, err := h.github.login(r.Context(), tok.AccessToken)
	if err != nil {
		h.log.Warn().Err(err).Msg("web: reading the signed-in user (GET /user)")
		writeMessage(w, http.StatusBadGateway, "Sign-in failed", "GitHub did not say who signed in.", loginPath)
		return signInError
	}
	var expires time.Time
	if tok.ExpiresIn > 0 {
		expires = h.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if err := h.startSession(w, login, tok.AccessToken, expires); err != nil {
		h.log.Error().Err(err).Msg("web: sealing a session")
		writeMessage(w, http.StatusInternalServerError, "Sign-in failed", "launchgate could not start the session.", "")
		return signInError
	}
	h.log.Info().Str("login", login).Msg("web: signed in")
	http.Redirect(w, r, localPath(st.Next), http.StatusSeeOther)
	return signedIn
}

// POST /logout, with the session's CSRF token. The user token is revoked
// at GitHub too, so that a copy of the cookie is worth nothing afterwards.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	v, ctx := h.signedIn(w, r)
	if v != nil {
		if !h.checkCSRF(r, v) {
			writeMessage(w, http.StatusForbidden, "Sign-out refused", "The form was not launchgate's own (its CSRF token is missing or wrong).", "")
			return
		}
		h.tokens.forget(tokenFrom(ctx))
		if err := h.github.revoke(ctx, tokenFrom(ctx)); err != nil {
			h.log.Warn().Err(err).Str("login", v.Login).Msg("web: revoking a user token at sign-out; it expires on its own")
		}
		h.log.Info().Str("login", v.Login).Msg("web: signed out")
	}
	h.clearCookie(w, sessionCookie, "/")
	writeMessage(w, http.StatusOK, "Signed out", "You are signed out of launchgate.", loginPath)
}

// pkceChallenge is the S256 code_challenge of a verifier (RFC 7636).
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// localPath returns next when it is a path on this site, else "/": a
// sign-in must never send the browser to another site. "//host" and
// "/\host" are other sites to browsers, and so is anything with a scheme
// or a host.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// oauthClient talks to GitHub for sign-in, and makes REST clients with a
// user's token for the gate.
type oauthClient struct {
	http                   *http.Client
	api                    *url.URL
	webURL                 string
	clientID, clientSecret string
	callback               string
}

// tokenAnswer is the token endpoint's answer; GitHub reports errors in it
// with a 200.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// errCodeRefused: GitHub answered the code exchange with an error (a code
// used, expired or forged; wrong client credentials).
var errCodeRefused = errors.New("GitHub refused the code")

// exchange trades a sign-in code and its PKCE verifier for a user access
// token.
func (o *oauthClient) exchange(ctx context.Context, code, verifier string) (*tokenAnswer, error) {
	form := url.Values{
		"client_id": {o.clientID}, "client_secret": {o.clientSecret}, "code": {code},
		"redirect_uri": {o.callback}, "code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.webURL+"/login/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST /login/oauth/access_token: %w", err)
	}
	defer resp.Body.Close()
	var ans tokenAnswer
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST /login/oauth/access_token: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ans); err != nil {
		return nil, fmt.Errorf("POST /login/oauth/access_token: undecodable answer: %w", err)
	}
	if ans.Error != "" {
		return nil, fmt.Errorf("POST /login/oauth/access_token: %w: %s (%s)", errCodeRefused, ans.Error, ans.Description)
	}
	if ans.AccessToken == "" {
		return nil, errors.New("POST /login/oauth/access_token: no access_token in the answer")
	}
	return &ans, nil
}

// client is a REST client acting as the holder of token.
func (o *oauthClient) client(token string) *github.Client {
	gh := github.NewClient(o.http).WithAuthToken(token)
	gh.BaseURL = o.api
	return gh
}

// errTokenRejected: GitHub answered 401 to the user's token (expired or
// revoked), so whoever holds it is not signed in any more.
var errTokenRejected = errors.New("web: GitHub rejected the user token")

// login asks GitHub whose token this is (GET /user). A token GitHub
// refuses there (401, or 403 for an installation's token, which has no
// user) is errTokenRejected.
func (o *oauthClient) login(ctx context.Context, token string) (string, error) {
	u, _, err := o.client(token).Users.Get(ctx, "")
	if notVisible(err) {
		return "", fmt.Errorf("GET /user: %w", errTokenRejected)
	}
	if err != nil {
		return "", githubError("GET /user", err)
	}
	if u.GetLogin() == "" {
		return "", errors.New("GET /user: no login")
	}
	return u.GetLogin(), nil
}

// revoke deletes the user's token at GitHub (DELETE
// /applications/{client_id}/token with the App's client credentials,
// https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token).
func (o *oauthClient) revoke(ctx context.Context, token string) error {
	body, _ := json.Marshal(map[string]string{"access_token": token})
	u := o.api.JoinPath("applications", o.clientID, "token")
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("revoke request: %w", err)
	}
	req.SetBasicAuth(o.clientID, o.clientSecret)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return fmt.Errorf("DELETE /applications/{client_id}/token: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE /applications/{client_id}/token: status %d", resp.StatusCode)
	}
	return nil
}

// githubError names the request that failed; a 401 is errTokenRejected.
// go-github's errors carry the URL and GitHub's message, never the
// Authorization header.
func githubError(what string, err error) error {
	var e *github.ErrorResponse
	if errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s: %w", what, errTokenRejected)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// writeMessage answers with a short page; link, when set, offers to sign
// in (again).
func writeMessage(w http.ResponseWriter, status int, title, text, link string) {
	tmpl, err := pageTemplates()
	if err != nil { // New parsed them already: not reached
		http.Error(w, text, status)
		return
	}
	var buf bytes.Buffer
	if err := tmpl["message"].ExecuteTemplate(&buf, "layout", layout{Title: title, Body: struct{ Title, Text, Link string }{title, text, link}}); err != nil {
		http.Error(w, text, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeJSONError answers a script with GitHub's error shape,
// {"message": msg}.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}
