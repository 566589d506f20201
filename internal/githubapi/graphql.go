package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// GraphQLError is an entry of the "errors" array of a GraphQL answer. GitHub
// answers 200 with such errors for partial failures (a repository that does
// not resolve is type NOT_FOUND at its path) and for an exhausted point
// budget (type RATE_LIMITED).
type GraphQLError struct {
	Type    string `json:"type"`
	Path    []any  `json:"path"`
	Message string `json:"message"`
}

func (e *GraphQLError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("GraphQL %s: %s", e.Type, e.Message)
	}
	return "GraphQL: " + e.Message
}

// at reports whether the error is about the field at the top-level alias.
func (e *GraphQLError) at(alias string) bool {
	return len(e.Path) > 0 && e.Path[0] == alias
}

// gqlBlob is what a query asks of a Git blob. GitHub documents text as "UTF8
// text data or null if the Blob is binary", and truncates it for large
// blobs (isTruncated); neither case is trusted here: such blobs are read
// over REST instead.
type gqlBlob struct {
	Typename    string  `json:"__typename"`
	OID         string  `json:"oid"`
	ByteSize    int64   `json:"byteSize"`
	IsBinary    bool    `json:"isBinary"`
	IsTruncated bool    `json:"isTruncated"`
	Text        *string `json:"text"`
}

// blobSelection selects a gqlBlob on an object() field.
const blobSelection = `{ __typename ... on Blob { oid byteSize isBinary isTruncated text } }`

// text returns the blob's content when GraphQL delivered all of it. The
// length check guards against any transcoding: text must be the blob's
// bytes exactly.
func (b *gqlBlob) text() ([]byte, bool) {
	if b.IsBinary || b.IsTruncated || b.Text == nil || int64(len(*b.Text)) != b.ByteSize {
		return nil, false
	}
	return []byte(*b.Text), true
}

// graphql sends one query. A non-2xx answer is returned as go-github's
// error types (so RateLimitError and AbuseRateLimitError work as for REST);
// the GraphQL-level errors come back to the caller, which knows which of
// them are acceptable (a missing repository can be). A RATE_LIMITED error is
// returned as the error.
//
// The query goes through the metered http.Client rather than
// github.Client.Do: go-github files the rate-limit headers of a response
// under a category it derives from the URL path, which on GitHub Enterprise
// Server ("/api/graphql") is the REST one, and an exhausted GraphQL budget
// would then block REST requests that still have quota.
func (ic *instClient) graphql(ctx context.Context, query string, vars map[string]any, data any) ([]GraphQLError, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ic.graphqlURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", ic.rest.UserAgent)
	resp, err := ic.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", ic.graphqlURL, err)
	}
	defer resp.Body.Close()
	if err := github.CheckResponse(resp); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxGraphQLResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading GraphQL answer: %w", err)
	}
	if len(raw) > maxGraphQLResponse {
		return nil, fmt.Errorf("GraphQL answer is larger than %d bytes", maxGraphQLResponse)
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []GraphQLError  `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decoding GraphQL answer: %w", err)
	}
	for i := range out.Errors {
		if out.Errors[i].Type == "RATE_LIMITED" {
			return nil, &out.Errors[i]
		}
	}
	if len(out.Data) > 0 && string(out.Data) != "null" {
		if err := json.Unmarshal(out.Data, data); err != nil {
			return nil, fmt.Errorf("decoding GraphQL data: %w", err)
		}
	} else if len(out.Errors) > 0 {
		return nil, joinGraphQLErrors(out.Errors)
	}
	return out.Errors, nil
}

// maxGraphQLResponse caps what a query may return. Blob batches are sized
// below it (maxBatchBytes) with room for JSON escaping.
const maxGraphQLResponse = 64 << 20

func joinGraphQLErrors(errs []GraphQLError) error {
	msgs := make([]string, len(errs))
	for i := range errs {
		msgs[i] = errs[i].Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
