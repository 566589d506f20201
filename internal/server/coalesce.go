package server

// Coalesce methods of the handlers whose events evaluate one pull request
// (see coalescer in queue.go). Each applies its handler's own filters, so
// that an event its handler ignores never takes the place of one it
// evaluates.

// Coalesce implements coalescer: a pull_request event carries the pull
// request's state at the event.
func (pullRequestHandler) Coalesce(payload []byte) (string, rank, bool) {
	p, err := parsePullRequest(payload)
	if err != nil || p.skipReason() != "" {
		return "", 0, false
	}
	return prKey(p.Repository.Owner.Login, p.Repository.Name, p.PullRequest.Number), rankState, true
}

// Coalesce implements coalescer: Re-run and Re-check read the pull request
// when they run and evaluate it whatever the memo says.
func (h checkRunHandler) Coalesce(payload []byte) (string, rank, bool) {
	p, err := parseCheckRun(payload)
	if err != nil {
		return "", 0, false
	}
	number, _, _ := h.target(p)
	if number == 0 {
		return "", 0, false
	}
	return prKey(p.Repository.Owner.Login, p.Repository.Name, number), rankFresh, true
}

// Coalesce implements coalescer for a check suite of one pull request (a
// suite of several is queued as it is): "rerequested" (Re-run all checks)
// evaluates the pull request's current state; "requested", sent with every
// push, may find the commit evaluated already.
func (h checkSuiteHandler) Coalesce(payload []byte) (string, rank, bool) {
	p, err := parseCheckSuite(payload)
	if err != nil {
		return "", 0, false
	}
	refs, _ := h.targets(p)
	if len(refs) != 1 {
		return "", 0, false
	}
	r := rankHint
	if p.Action == "rerequested" {
		r = rankFresh
	}
	return prKey(p.Repository.Owner.Login, p.Repository.Name, refs[0].Number), r, true
}
