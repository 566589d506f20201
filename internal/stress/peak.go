package stress

import "fmt"

// Peak is the expected peak webhook load of one organisation, derived from
// its size. launch/scaling.md ("Load characteristics") explains each
// figure; the load test runs at Factor times EventsPerSecond.
type Peak struct {
	// Engineers in the organisation.
	Engineers int
	// PRsPerEngineerDay is pull requests opened per engineer and working
	// day, bots' (dependency updates) included.
	PRsPerEngineerDay float64
	// EventsPerPR is the webhooks launchgate receives over one pull
	// request's life: the lifecycle of the workload's scripts (see
	// lifecycleEvents).
	EventsPerPR int
	// BusyShare of a day's events arrive in BusyHours hours.
	BusyShare float64
	BusyHours float64
	// PeakHourFactor is the busiest hour over the average busy hour.
	PeakHourFactor float64
	// Factor is the headroom the load test proves: 10 times the peak.
	Factor float64
}

// ExpectedPeak is an organisation of 2,000 engineers.
var ExpectedPeak = Peak{
	Engineers:         2000,
	PRsPerEngineerDay: 1,
	EventsPerPR:       lifecycleEvents(),
	BusyShare:         0.8,
	BusyHours:         8,
	PeakHourFactor:    1.5,
	Factor:            10,
}

// PRsPerDay is pull requests opened per working day.
func (p Peak) PRsPerDay() float64 { return float64(p.Engineers) * p.PRsPerEngineerDay }

// EventsPerHour is the webhook deliveries of the peak hour.
func (p Peak) EventsPerHour() float64 {
	return p.PRsPerDay() * float64(p.EventsPerPR) * p.BusyShare / p.BusyHours * p.PeakHourFactor
}

// EventsPerSecond is the peak hour's average delivery rate.
func (p Peak) EventsPerSecond() float64 { return p.EventsPerHour() / 3600 }

// TargetRate is the load test's rate: Factor times the peak.
func (p Peak) TargetRate() float64 { return p.Factor * p.EventsPerSecond() }

func (p Peak) String() string {
	return fmt.Sprintf("%d engineers x %.1f PRs/day x %d events/PR x %.0f%% in %.0f busy hours x %.1f peak-hour factor = %.0f events/h (%.1f/s); x%.0f = %.0f events/s",
		p.Engineers, p.PRsPerEngineerDay, p.EventsPerPR, p.BusyShare*100, p.BusyHours, p.PeakHourFactor,
		p.EventsPerHour(), p.EventsPerSecond(), p.Factor, p.TargetRate())
}
