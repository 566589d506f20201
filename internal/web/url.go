package web

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckPublicURL parses the pages' public URL. Session cookies are Secure,
// so it must be https; plain http is allowed only on a loopback host
// (localhost, 127.0.0.0/8, ::1), where nothing travels over a network.
func CheckPublicURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("web: public URL %q is not an absolute URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.TrimSuffix(u.Path, "/") != "" {
		return nil, fmt.Errorf("web: public URL %q must be scheme://host[:port] alone: the pages are served at the root", raw)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if isLoopback(u.Hostname()) {
			return u, nil
		}
		return nil, fmt.Errorf("web: public URL %q must be https (http only on a loopback host): session cookies are Secure", raw)
	}
	return nil, fmt.Errorf("web: public URL %q must be https", raw)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
