package web

import "errors"

// newPages builds the page handlers. They are being written on another
// branch (pages.go, with templates/web); until it is merged, a configured
// web: section stops serve at start-up instead of offering a sign-in that
// leads to no page. The merge replaces this file with that constructor.
func newPages(Options, gate) (pageHandlers, error) {
	return nil, errors.New("web: this build has no pages yet; remove the web: section (or its client_id) to serve without them")
}
