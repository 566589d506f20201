// Package stress is launchgate's load test and recovery drill. Both
// drive the real App (server.New's handler on a 127.0.0.1 listener, or
// `launchgate serve` in a child process) with the GitHub simulator
// (internal/githubsim) behind it: the driver plays pull request scripts on
// the simulator, which delivers the resulting signed webhooks to the App
// as GitHub would, and posts the webhooks the simulator cannot raise
// itself (another App's CI check runs, duplicate deliveries), signed the
// same way. All traffic stays on 127.0.0.1.
//
// The workload is an organisation's everyday mix (workload.go): one pull
// request in 20 a launch PR, one everyday PR in 10 labelled "launch" as
// its last event, each PR opened, pushed to, reviewed, commented on,
// labelled, retitled and checked by CI. Its shape is the typical pull
// request from which peak.go derives the expected peak (launch/scaling.md).
//
// The oracle is independent of the App: each pull request's final state is
// evaluated here with readiness.Evaluate and rendered with report, and the
// App's "Production readiness" run on the pull request's latest head must
// have that conclusion and title. A lost, reordered or stale event leaves a
// run missing, on an older head, or reflecting an older state, and fails
// the run.
//
// Run is the load test (the steady phase at a paced rate, a burst as fast
// as the App answers, then duplicate deliveries); Drill is the recovery
// drill (SIGKILL in a burst, restart, reconciler; then simulator faults).
// The short versions run in `go test`; `launchgate loadtest` and
// `launchgate drill` run the full ones and write reports.
package stress
