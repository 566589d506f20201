package inspect

import "testing"

// TestManifestSyntaxErrorLines: a manifest's YAML mistake is reported on
// the line it is on.
func TestManifestSyntaxErrorLines(t *testing.T) {
	const head = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
	for _, tc := range []struct {
		name     string
		manifest string
		want     expectedFinding
	}{
		{name: "unclosed [", manifest: head + "  replicas: [2\n  selector: {}\n",
			want: expectedFinding{path: "deploy/production/app.yaml", line: 6, msg: []string{"line 6: did not find expected ',' or ']'"}}},
		{name: "unclosed {", manifest: head + "  selector: {matchLabels: {app: api}\n  replicas: 2\n",
			want: expectedFinding{path: "deploy/production/app.yaml", line: 6, msg: []string{"line 6: did not find expected ',' or '}'"}}},
		{name: "under-indented key", manifest: head + "  replicas: 2\n selector: {}\n",
			want: expectedFinding{path: "deploy/production/app.yaml", line: 7, msg: []string{"line 7: did not find expected key"}}},
		{name: "tab indentation", manifest: head + "  replicas: 2\n\tselector: {}\n",
			want: expectedFinding{path: "deploy/production/app.yaml", line: 7, msg: []string{"line 7: found a tab character"}}},
		{name: "unclosed quote", manifest: head + "  replicas: 2\n  serviceAccountName: \"api\n",
			want: expectedFinding{path: "deploy/production/app.yaml", line: 7, msg: []string{"line 7: found unexpected end of stream"}}},
		{name: "duplicate key", manifest: head + "  replicas: 2\n  replicas: 1\n",
			want: expectedFinding{path: "deploy/production/app.yaml", line: 7, msg: []string{`line 7: mapping key "replicas" already defined at line 6`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := k8sMapRepo(map[string]string{"deploy/production/app.yaml": tc.manifest})
			expectFindings(t, checkValid(t, &Environments{}, repo), []expectedFinding{tc.want})
		})
	}
}
