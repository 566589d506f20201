package server

import (
	"fmt"
	"os"
	"strings"

	"github.com/launchgate/launchgate/internal/signoff"
)

// envSignoffKey holds the checklist's signing key; it wins over the file.
const envSignoffKey = "LAUNCHGATE_SIGNOFF_KEY"

// SignoffConfig configures the reviewer checklist.
type SignoffConfig struct {
	// Key signs the sign-off records kept in the checklist comment
	// (HMAC-SHA256): at least 32 bytes, random, e.g. `openssl rand -hex 32`.
	// Every replica needs the same key; changing it voids every recorded
	// sign-off, which reviewers then tick again. After LoadConfig it holds
	// the key whichever way it was given.
	Key string `yaml:"key"`
	// KeyFile is a path to a file holding the key (a mounted secret);
	// surrounding white space is ignored.
	KeyFile string `yaml:"key_file"`
}

// resolveKey reads the key file into Key and checks the key. It returns a
// problem, or "". Problems never include the key. keySource names where
// Key came from.
func (s *SignoffConfig) resolveKey(keySource string) string {
	switch {
	case s.Key != "" && s.KeyFile != "":
		return "signoff.key and signoff.key_file are both set: use one"
	case s.KeyFile != "":
		data, err := os.ReadFile(s.KeyFile)
		if err != nil {
			return fmt.Sprintf("signoff.key_file: %v", err)
		}
		keySource = "signoff.key_file " + s.KeyFile
		s.Key, s.KeyFile = strings.TrimSpace(string(data)), ""
	case s.Key == "":
		return "signoff.key is missing: set it, signoff.key_file, or " + envSignoffKey +
			" to at least 32 random bytes (e.g. `openssl rand -hex 32`); launchgate signs the reviewer checklist's records with it"
	}
	if err := signoff.CheckKey([]byte(s.Key)); err != nil {
		return fmt.Sprintf("%s: %v", keySource, err)
	}
	return ""
}
