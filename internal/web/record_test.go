package web

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

func TestRecord(t *testing.T) {
	f := newFixture(t, accessTables, unrequired)
	f.fillOrg()
	line := f.addRecord("acme/orders", 20, false)
	// The same record with its title changed after signing: the store
	// holds whatever bytes were put in it.
	f.putRecordLine("acme/orders", 21, testNow, bytes.Replace(bytes.Replace(line, []byte(`"pr":20`), []byte(`"pr":21`), 1),
		[]byte(`"title":"Launch acme/orders"`), []byte(`"title":"Launch \u003cb\u003eedited\u003c/b\u003e"`), 1))
	// A line that is not a record at all.
	f.putRecordLine("acme/orders", 22, testNow.Add(-time.Minute), []byte(`{"repo":"acme/orders","pr":22,"extra":1}`))
	tests := []pageCase{
		{
			name: "a record that verifies", login: "alice", path: "/orgs/acme/records/orders-20", wantStatus: http.StatusOK,
			want: []string{
				`<strong>Signature verifies</strong>`, `<dt>Title</dt><dd>Launch acme/orders</dd>`, `<dt>Gate</dt><dd>passed</dd>`,
				`<a href="https://github.example.com/acme/orders/commit/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb">`,
				`<pre class="raw" tabindex="0" aria-label="The signed launch record, JSON">{&#34;repo&#34;:&#34;acme/orders&#34;,&#34;pr&#34;:20,`,
			},
			wantNot: []string{"does not verify"},
		},
		{
			name: "a bypassed record is marked", login: "alice", path: "/orgs/acme/records/orders-10", wantStatus: http.StatusOK,
			want: []string{`<strong>Signature verifies</strong>`, `<strong class="bypassed">bypassed</strong>`},
		},
		{
			name: "a tampered record does not verify, and its text stays escaped", login: "alice", path: "/orgs/acme/records/orders-21", wantStatus: http.StatusOK,
			want:    []string{`<strong>Signature does not verify</strong>`, `the signature does not verify with this public key`, `Launch &lt;b&gt;edited&lt;/b&gt;`},
			wantNot: []string{`Signature verifies`, `<b>edited`},
		},
		{
			name: "a line that is not a record is shown raw, unverified", login: "alice", path: "/orgs/acme/records/orders-22", wantStatus: http.StatusOK,
			want: []string{`<strong>Signature does not verify</strong>`, `&#34;extra&#34;:1`},
		},
		{name: "a repository the viewer may not read is a 404", login: "alice", path: "/orgs/acme/records/vault-5", wantStatus: http.StatusNotFound},
		{name: "a non-member's 404", login: "mallory", path: "/orgs/acme/records/orders-10", wantStatus: http.StatusNotFound},
		{name: "a member who may read it", login: "bob", path: "/orgs/acme/records/vault-5", wantStatus: http.StatusOK, want: []string{`<strong>Signature verifies</strong>`}},
		{name: "another organisation's record is not found under this one", login: "bob", path: "/orgs/other/records/vault-5", wantStatus: http.StatusNotFound},
		{
			name: "another letter case moves to the stored spelling, query kept", login: "alice", path: "/orgs/ACME/records/Orders-20?from=chat",
			wantStatus: http.StatusMovedPermanently, wantLocation: "/orgs/acme/records/orders-20?from=chat",
		},
		{name: "another case of a repository the viewer may not read is the same 404", login: "alice", path: "/orgs/Acme/records/VAULT-5", wantStatus: http.StatusNotFound},
		{name: "another case is the same 404 for a non-member", login: "mallory", path: "/orgs/ACME/records/orders-10", wantStatus: http.StatusNotFound},
		{name: "another case of a missing record is a 404", login: "alice", path: "/orgs/ACME/records/orders-999", wantStatus: http.StatusNotFound},
	}
	f.run(t, "/orgs/acme/records/orders-999", tests)
}
