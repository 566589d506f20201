package web

import (
	"net/http"
	"testing"
	"time"
)

func TestPull(t *testing.T) {
	f := newFixture(t, accessTables, unrequired)
	f.fillOrg()
	// A repository whose name the webhooks spell with a capital.
	f.addOpen(launchPR{repo: "acme/Billing", number: 4, title: "Launch billing", openedAt: testNow.Add(-time.Hour), report: infraReport()})
	tests := []pageCase{
		{
			name: "every finding linked to its file and line at the head commit", login: "alice", path: "/acme/orders/pull/12", wantStatus: http.StatusOK,
			want: []string{
				`<a href="https://github.example.com/acme/orders/blob/000000000000000000000000000000000000000c/launch/security%20review.md#L7"><code>launch/security review.md:7</code></a>: the threat model section is empty`,
				`Fix: describe the threats`,
				`<a href="https://github.example.com/acme/orders/blob/000000000000000000000000000000000000000c/deploy/alerts.yaml#L3">`,
			},
		},
		{
			name: "the title is escaped", login: "alice", path: "/acme/orders/pull/12", wantStatus: http.StatusOK,
			want:    []string{`Launch &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; orders`},
			wantNot: []string{`<script>`},
		},
		{
			name: "sign-offs with who may tick them, approvals with voided ones and why", login: "alice", path: "/acme/orders/pull/12", wantStatus: http.StatusOK,
			want: []string{
				`<th scope="row"><code>pentest</code><div class="subtle">Penetration test done</div></th>`,
				`members of team <code>security</code>`,
				`<td>approved by @ann before launch/security review.md changed</td>`,
				`carol, <time datetime="2026-12-07T10:00:00Z">2026-12-07 10:00</time>`,
			},
		},
		{
			name: "waivers with their expiry, policy, links back, history", login: "alice", path: "/acme/orders/pull/12", wantStatus: http.StatusOK,
			want: []string{
				`<td><time datetime="2026-12-12">2026-12-12</time></td>`, `alerts ship next week`,
				`<code>sha256:abc</code>`, `<a href="https://github.example.com/acme/orders/blob/main/.github/launchgate.yml">The policy file on GitHub</a>`,
				`<a href="https://github.example.com/acme/orders/pull/12">Pull request acme/orders#12 on GitHub</a>`,
				`<a href="https://github.example.com/acme/orders/pull/12#issuecomment-99">Reviewer checklist comment on GitHub</a>`,
				`<a href="https://github.example.com/acme/orders/commit/0000000000000000000000000000000000002ee0"><code>000000000000</code>`,
				`<a href="https://github.example.com/acme/orders/commit/0000000000000000000000000000000000002ee1">`,
			},
		},
		{
			name: "a policy link that leads off the configured GitHub is not shown", login: "alice", path: "/acme/payments/pull/3", wantStatus: http.StatusOK,
			want:    []string{`waiting for an approving review by a member of team infra`},
			wantNot: []string{`evil.example`, `The policy file on GitHub`},
		},
		{name: "a repository the viewer may not read is a 404", login: "alice", path: "/acme/vault/pull/1", wantStatus: http.StatusNotFound},
		{name: "a member who may read it sees it", login: "bob", path: "/acme/vault/pull/1", wantStatus: http.StatusOK, want: []string{"Launch vault"}},
		{name: "a missing PR is a 404", login: "alice", path: "/acme/orders/pull/999", wantStatus: http.StatusNotFound},
		{
			name: "another letter case moves to the stored spelling, query kept", login: "alice", path: "/ACME/Orders/pull/12?from=chat",
			wantStatus: http.StatusMovedPermanently, wantLocation: "/acme/orders/pull/12?from=chat",
		},
		{
			name: "a stored spelling with capitals is where another case moves", login: "alice", path: "/acme/billing/pull/4",
			wantStatus: http.StatusMovedPermanently, wantLocation: "/acme/Billing/pull/4",
		},
		{name: "the stored spelling is the page", login: "alice", path: "/acme/Billing/pull/4", wantStatus: http.StatusOK, want: []string{"Launch billing"}},
		{name: "another case of a repository the viewer may not read is the same 404", login: "alice", path: "/ACME/Vault/pull/1", wantStatus: http.StatusNotFound},
		{name: "another case moves a viewer who may read it", login: "bob", path: "/Acme/VAULT/pull/1", wantStatus: http.StatusMovedPermanently, wantLocation: "/acme/vault/pull/1"},
		{name: "another case of a missing PR is a 404", login: "alice", path: "/ACME/orders/pull/999", wantStatus: http.StatusNotFound},
	}
	f.run(t, "/acme/orders/pull/999", tests)
}
