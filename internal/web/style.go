package web

import (
	"net/http"

	"github.com/launchgate/launchgate/templates"
)

// stylePath is the pages' stylesheet, the one asset they load (the
// Content-Security-Policy allows styles from this site only).
const stylePath = "/static/style.css"

// style is the stylesheet, read once: it is embedded in the binary.
var style = func() []byte {
	b, err := templates.Web.ReadFile("web/style.css")
	if err != nil {
		panic("web: the embedded stylesheet is missing: " + err.Error()) // embedded at build time
	}
	return b
}()

func serveStyle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(style)
}
