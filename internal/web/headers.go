package web

import (
	"crypto/subtle"
	"net/http"
)

// contentSecurityPolicy allows the pages nothing but their own stylesheet
// and images: no script at all, no framing, forms posting only here.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// hsts keeps browsers on https for a year once they have seen the pages
// there (https://developer.mozilla.org/docs/Web/HTTP/Headers/Strict-Transport-Security),
// whatever the proxy in front of launchgate sends.
const hsts = "max-age=31536000"

// securityHeaders sets the headers every answer carries. Every answer may
// depend on who asks, so none may be stored by a browser or a proxy. secure
// says the pages are served over https (server.public_url), where HSTS is
// sent too.
func securityHeaders(next http.Handler, secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if secure {
			h.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// csrfField is the name of the hidden field carrying viewer.CSRF in every
// POST form.
const csrfField = "csrf_token"

// checkCSRF says whether a POST form comes from launchgate's own pages: it
// carries the session's CSRF token, and, when the browser says where it
// was posted from (Origin), that is this site.
func (h *handler) checkCSRF(r *http.Request, v *viewer) bool {
	if o := r.Header.Get("Origin"); o != "" && o != h.origin {
		return false
	}
	got := r.PostFormValue(csrfField)
	return v.CSRF != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.CSRF)) == 1
}
