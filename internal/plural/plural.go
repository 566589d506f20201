// Package plural writes a count with its noun in the number the count
// needs, so that messages say "1 word" and "2 words", never "1 words" or
// "1 word(s)".
package plural

import "strconv"

// Count is n followed by one when n is 1 or -1, and by many otherwise:
// Count(1, "replica", "replicas") is "1 replica", Count(0, ...) "0
// replicas". The two forms are given whole because English plurals are
// irregular ("entry", "entries").
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}
