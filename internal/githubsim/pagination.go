package githubsim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Page-based pagination as GitHub documents it
// (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api):
// "page" from 1, "per_page" defaulting to 30 and capped at 100, and a Link
// header with absolute URLs for rel="prev", "next", "last" and "first".
const (
	defaultPerPage = 30
	maxPerPage     = 100
)

func perPage(c *call) int {
	n, _ := strconv.Atoi(c.r.URL.Query().Get("per_page"))
	if n <= 0 {
		return defaultPerPage
	}
	return min(n, maxPerPage)
}

// paginate returns the bounds of the requested page among n items (at most
// maxTotal when it is positive) and sets the Link header.
func (s *Server) paginate(c *call, n, maxTotal int) (lo, hi int) {
	if maxTotal > 0 && n > maxTotal {
		n = maxTotal
	}
	per := perPage(c)
	page, _ := strconv.Atoi(c.r.URL.Query().Get("page"))
	page = max(page, 1)
	last := max((n+per-1)/per, 1)
	lo = min((page-1)*per, n)
	hi = min(lo+per, n)

	var links []string
	add := func(p int, rel string) {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		links = append(links, fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.base, c.r.URL.Path, q.Encode(), rel))
	}
	if page > 1 {
		add(min(page-1, last), "prev")
	}
	if page < last {
		add(page+1, "next")
		add(last, "last")
	}
	if page > 1 {
		add(1, "first")
	}
	if len(links) > 0 {
		c.header.Set("Link", strings.Join(links, ", "))
	}
	return lo, hi
}

func ptr[T any](v T) *T { return &v }

func ts(t time.Time) *github.Timestamp { return &github.Timestamp{Time: t.UTC().Truncate(time.Second)} }

// nodeID makes a GraphQL-style global ID; clients must treat it as opaque.
func nodeID(kind string, id int64) string {
	return kind + "_" + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func repoKey(owner, name string) string { return strings.ToLower(owner + "/" + name) }
