package githubapi

import (
	"net/http"
	"net/url"
	"testing"
)

func TestEndpointTemplates(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		method, url, restPrefix, graphqlPath string
		want                                 string
	}{
		{"GET", "https://api.github.com/repos/acme/svc/git/trees/" + sha + "?recursive=1", "", "/graphql", epTree},
		{"GET", "https://ghe.example/api/v3/repos/acme/svc/git/blobs/" + sha, "/api/v3", "/api/graphql", epBlob},
		{"GET", "https://ghe.example/api/v3/repos/acme/svc/pulls/7/files?per_page=100&page=2", "/api/v3", "/api/graphql", epPullFiles},
		{"GET", "https://api.github.com/repos/acme/svc/commits/" + sha + "/check-runs?check_name=x", "", "/graphql", epListRuns},
		{"POST", "https://api.github.com/repos/acme/svc/check-runs", "", "/graphql", epCreateRun},
		{"PATCH", "https://api.github.com/repos/acme/svc/check-runs/99", "", "/graphql", epUpdateRun},
		{"POST", "https://api.github.com/graphql", "", "/graphql", epGraphQL},
		{"POST", "https://ghe.example/api/graphql", "/api/v3", "/api/graphql", epGraphQL},
		// Not this package's requests: no owner, repository or SHA may
		// reach a metrics label.
		{"GET", "https://api.github.com/repos/acme/svc", "", "/graphql", "GET (other)"},
		{"PATCH", "https://api.github.com/repos/acme/svc/check-runs", "", "/graphql", "PATCH (other)"},
		{"GET", "https://api.github.com/repos/acme/svc/git/trees", "", "/graphql", "GET (other)"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := endpoint(&http.Request{Method: tt.method, URL: u}, tt.restPrefix, tt.graphqlPath); got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.method, tt.url, got, tt.want)
		}
	}
}

func TestGraphQLURL(t *testing.T) {
	tests := []struct{ rest, option, want string }{
		{"https://api.github.com/", "", "https://api.github.com/graphql"},
		{"https://ghe.example/api/v3/", "", "https://ghe.example/api/graphql"},
		{"https://ghe.example/api/v3/", "https://gql.example/custom", "https://gql.example/custom"},
	}
	for _, tt := range tests {
		rest, _ := url.Parse(tt.rest)
		c := &Client{opts: Options{GraphQLURL: tt.option}}
		got, err := c.graphqlURL(rest)
		if err != nil || got.String() != tt.want {
			t.Errorf("graphqlURL(%s, %q) = %v, %v; want %s", tt.rest, tt.option, got, err, tt.want)
		}
	}
}
