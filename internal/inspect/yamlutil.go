package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// parseYAMLDocs parses every document of a YAML (or JSON) stream, skipping
// empty ones; anchors and aliases are resolved when decoding. A syntax
// error is located on its line (yamlnode.Locate).
func parseYAMLDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, yamlnode.Locate(err, data)
		}
		// A node keeps both of two equal keys; decoding it, as kubectl
		// (sigs.k8s.io/yaml) and Prometheus do, rejects the duplicate.
		var plain any
		if err := doc.Decode(&plain); err != nil {
			return nil, fmt.Errorf("yaml: %s", decodeErrorText(err))
		}
		if len(doc.Content) == 1 && doc.Content[0].Tag != "!!null" {
			docs = append(docs, doc.Content[0])
		}
	}
}

// decodeErrorText flattens yaml.v3's multi-line decode errors into one
// line fit for a finding.
func decodeErrorText(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

// scalarLine is the line of the first scalar equal to value under n, 0 if
// none: the best position for a reference decoded from n.
func scalarLine(n *yaml.Node, value string) int {
	line := 0
	walkScalars(n, func(s *yaml.Node) {
		if line == 0 && s.Value == value {
			line = s.Line
		}
	})
	return line
}

func walkScalars(n *yaml.Node, fn func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		fn(n)
	}
	for _, c := range n.Content {
		walkScalars(c, fn)
	}
}
