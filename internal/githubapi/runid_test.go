package githubapi

import (
	"strings"
	"testing"
)

const (
	testContent     = "0123456789abcdef0123456789abcdef"
	testAnnotations = "fedcba9876543210fedcba9876543210"
	testDigests     = testContent + "." + testAnnotations
)

func TestParseRunID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want RunID
	}{
		{name: "the previous release's run", in: "v1:" + testDigests + ":pr/7 v/v1.4.2 policy/0123456789ab",
			want: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Version: "v1.4.2", Policy: "0123456789ab"}},
		{name: "the previous release's run without a policy", in: "v1:" + testDigests + ":pr/7 v/dev policy/",
			want: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Version: "dev"}},
		{name: "the previous release's pending run", in: "v1:pending:pr/12 v/v1.4.2 policy/0123456789ab",
			want: RunID{PR: 12, Version: "v1.4.2", Policy: "0123456789ab"}},
		{name: "digests only", in: "v1:" + testDigests,
			want: RunID{Content: testContent, Annotations: testAnnotations}},
		{name: "pending only", in: "v1:pending", want: RunID{}},
		{name: "with an outcome", in: "v1:" + testDigests + ":pr/7 v/v2.0.0 policy/0123456789ab outcome/evaluation-error",
			want: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Version: "v2.0.0", Policy: "0123456789ab", Outcome: OutcomeEvaluationError}},
		{name: "a later release's field is skipped", in: "v1:pending:pr/7 shard/3 outcome/not-launch",
			want: RunID{PR: 7, Outcome: OutcomeNotLaunch}},
		{name: "a version with a slash", in: "v1:pending:v/feature/x", want: RunID{Version: "feature/x"}},
		{name: "with a waiver's end", in: "v1:" + testDigests + ":pr/7 outcome/evaluated waiver/2027-03-01",
			want: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Outcome: OutcomeEvaluated, WaiverEnds: "2027-03-01"}},
		{name: "with the checklist comment", in: "v1:" + testDigests + ":pr/7 v/v2.1.0 policy/0123456789ab outcome/evaluated comment/2147483648123",
			want: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Version: "v2.1.0", Policy: "0123456789ab", Outcome: OutcomeEvaluated, Comment: 2147483648123}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRunID(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseRunID(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseRunIDRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // in the error
	}{
		{name: "empty", in: "", want: `does not start with "v1:"`},
		{name: "another scheme", in: "v2:pending", want: `does not start with "v1:"`},
		{name: "the caller's part alone", in: "pr/7 v/dev policy/", want: `does not start with "v1:"`},
		{name: "short digest", in: "v1:0123.4567:pr/7", want: "neither"},
		{name: "one digest", in: "v1:" + testContent + ":pr/7", want: "neither"},
		{name: "upper-case digest", in: "v1:" + strings.ToUpper(testContent) + "." + testAnnotations, want: "neither"},
		{name: "empty label", in: "v1:pending:", want: `field "" is not key/value`},
		{name: "double space", in: "v1:pending:pr/7  v/dev", want: `field "" is not key/value`},
		{name: "field without a key", in: "v1:pending:/7", want: `field "/7" is not key/value`},
		{name: "word without a slash", in: "v1:pending:pr/7 dev", want: `field "dev" is not key/value`},
		{name: "waiver end not a date", in: "v1:pending:waiver/soon", want: `waiver end "soon" is not a date`},
		{name: "twice", in: "v1:pending:pr/7 pr/8", want: `field "pr" appears twice`},
		{name: "comment 0", in: "v1:pending:comment/0", want: `comment id "0" is not a positive decimal`},
		{name: "negative comment", in: "v1:pending:comment/-5", want: `comment id "-5" is not a positive decimal`},
		{name: "comment with a leading zero", in: "v1:pending:comment/012", want: `comment id "012" is not a positive decimal`},
		{name: "comment not a number", in: "v1:pending:comment/abc", want: `comment id "abc" is not a positive decimal`},
		{name: "comment twice", in: "v1:pending:comment/1 comment/2", want: `field "comment" appears twice`},
		{name: "pull request 0", in: "v1:pending:pr/0", want: "not a positive decimal"},
		{name: "signed pull request", in: "v1:pending:pr/+7", want: "not a positive decimal"},
		{name: "leading zero", in: "v1:pending:pr/07", want: "not a positive decimal"},
		{name: "huge pull request", in: "v1:pending:pr/99999999999999999999999", want: "not a positive decimal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRunID(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRunID(%q) = %+v, %v; want an error with %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRunIDString(t *testing.T) {
	tests := []struct {
		name string
		id   RunID
		want string
	}{
		{name: "complete", id: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Version: "v1.4.2", Policy: "0123456789ab", Outcome: OutcomeEvaluated},
			want: "v1:" + testDigests + ":pr/7 v/v1.4.2 policy/0123456789ab outcome/evaluated"},
		{name: "pending", id: RunID{PR: 7, Version: "dev", Outcome: OutcomePolicyError},
			want: "v1:pending:pr/7 v/dev outcome/policy-error"},
		{name: "with a waiver's end and the checklist comment", id: RunID{Content: testContent, Annotations: testAnnotations, PR: 7, Outcome: OutcomeEvaluated, WaiverEnds: "2027-03-01", Comment: 42},
			want: "v1:" + testDigests + ":pr/7 outcome/evaluated waiver/2027-03-01 comment/42"},
		{name: "nothing but digests", id: RunID{Content: testContent, Annotations: testAnnotations}, want: "v1:" + testDigests},
		{name: "zero", id: RunID{}, want: "v1:pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortPolicyDigest(t *testing.T) {
	tests := []struct {
		digest, want string
	}{
		{digest: "sha256:0123456789abcdef0123", want: "0123456789ab"},
		{digest: "sha256:0123", want: "0123"},
		{digest: "", want: ""},
	}
	for _, tt := range tests {
		if got := ShortPolicyDigest(tt.digest); got != tt.want {
			t.Errorf("ShortPolicyDigest(%q) = %q, want %q", tt.digest, got, tt.want)
		}
	}
}

// FuzzRunID checks that whatever ParseRunID accepts, String writes back in
// a form ParseRunID reads as the same identity, and that String's form is
// stable.
func FuzzRunID(f *testing.F) {
	for _, seed := range []string{
		"v1:pending",
		"v1:" + testDigests,
		"v1:pending:pr/1 v/test",
		"v1:" + testDigests + ":pr/7 v/v1.4.2 policy/0123456789ab",
		"v1:" + testDigests + ":pr/7 v/dev policy/",
		"v1:" + testDigests + ":pr/7 v/v2.0.0 policy/0123456789ab outcome/evaluation-error",
		"v1:pending:pr/7 shard/3 outcome/",
		"v1:pending:pr/07",
		"v1:" + testDigests + ":pr/7 outcome/evaluated waiver/2027-03-01 comment/2147483648123",
		"v1:pending:comment/9223372036854775807",
		"v1:pending:comment/9223372036854775808",
		"v1:x:y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRunID(s)
		if err != nil {
			return
		}
		written := id.String()
		again, err := ParseRunID(written)
		if err != nil {
			t.Fatalf("ParseRunID(%q) accepted %+v, whose String %q it rejects: %v", s, id, written, err)
		}
		if again != id {
			t.Fatalf("ParseRunID(%q) = %+v, but its String %q parses as %+v", s, id, written, again)
		}
		if again.String() != written {
			t.Fatalf("String of %q is %q, not itself", written, again.String())
		}
		if id.Complete() != (id.Annotations != "") {
			t.Fatalf("%+v: a content digest without an annotations digest or the reverse", id)
		}
	})
}
