package web

import "context"

// viewer is the signed-in user a page is rendered for; it never holds the
// user's GitHub token.
type viewer struct {
	Login string
	CSRF  string // the token the page's forms carry
}

// gate answers who may see what, asking GitHub with the viewer's token.
type gate interface {
	MemberOf(ctx context.Context, v *viewer, org string) (bool, error)
	CanRead(ctx context.Context, v *viewer, owner, repo string) (bool, error)
	// Readable lists the repositories ("owner/name") of the App's
	// installation on org that v may read.
	Readable(ctx context.Context, v *viewer, org string) (map[string]bool, error)
	// Teams lists the slugs of v's teams in org.
	Teams(ctx context.Context, v *viewer, org string) ([]string, error)
}
