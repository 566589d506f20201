package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/lru"
)

// rank orders the evaluations of one pull request by how much of its state
// they cover, for coalescing: a waiting evaluation is replaced by a later
// one of the same or a higher rank, and absorbs a later one of a lower
// rank.
type rank int

const (
	// rankHint may find the commit evaluated already and do nothing
	// (check_suite.requested, which accompanies every push's
	// pull_request.synchronize).
	rankHint rank = iota
	// rankState carries the pull request's state at the event
	// (pull_request): a later one carries newer state.
	rankState
	// rankFresh reads the pull request's current state when it runs and
	// evaluates it whatever the memo says (Re-run, Re-check, the
	// reconciler's repairs): it covers every event before and after it.
	rankFresh
)

// prKey identifies a pull request for coalescing. GitHub's owner and
// repository names are case-insensitive.
func prKey(owner, repo string, number int) string {
	return fmt.Sprintf("%s/%s#%d", strings.ToLower(owner), strings.ToLower(repo), number)
}

// queue holds the parsed webhooks (see event) and the reconciler's repairs
// until a worker runs them. GitHub gives a delivery 10 seconds
// (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks)
// and does not redeliver a failed one by itself
// (https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries),
// while an evaluation makes several API requests, so an event is answered
// as soon as its signature and payload are checked (the gate) and it is
// queued; a fixed pool of workers evaluates.
//
//   - Coalescing: while an evaluation of a pull request is queued or
//     running, further events for it, of any type, cause at most one more:
//     they merge into the one waiting evaluation (see rank), which keeps
//     what each asked for (see carried: a forced evaluation, checklist
//     edits in order). A pull request is never evaluated by two workers at
//     once.
//   - Events that cannot matter never reach the queue: the gate answers
//     them (see event.ignored), so they take no place in it.
//   - Deduplication: a delivery whose X-GitHub-Delivery GUID was accepted
//     before is answered 200 and not evaluated again (GitHub keeps the GUID
//     when it redelivers). A delivery whose evaluation failed is forgotten,
//     so that redelivering it tries again.
//   - Back-pressure: a delivery that finds the queue full is answered 503.
//     GitHub records a failed delivery, which the reconciler redelivers
//     (GET /app/hook/deliveries), so nothing is lost; it is not remembered
//     as seen, so the redelivery is taken.
//   - Shutdown: Close stops taking events (503: failed deliveries, which a
//     replica that stays up redelivers) and waits for the accepted ones
//     until its deadline; what is left then is handed back to GitHub's
//     state, where the reconciler finds it (a run missing or older than
//     its pull request's head).
//
// Memory is bounded under any burst: at most size events wait (each
// holding its payload, all together at most maxBytes), the coalescing map
// holds at most size+workers pull requests, and the delivery GUIDs
// remembered are at most dedupeSize. Measured (Go 1.26, amd64): 187 bytes
// per remembered GUID, about 220 bytes per waiting event besides its
// payload. With the defaults (1,000 events, 64 MiB of payloads, 10,000
// GUIDs) that is 64 MiB + 2.1 MiB whatever GitHub sends; a burst beyond it
// is answered 503 and recovered by the reconciler.
//
// go-githubapp's QueueAsyncScheduler is a fixed channel and worker pool:
// it answers a full queue with 503 as well, but it neither coalesces nor
// deduplicates, so a burst of N events for one pull request costs N
// evaluations and N slots; it cannot be drained or closed, so shutdown
// cannot finish or hand back its work; it accepts a malformed payload that
// then fails in a worker; and it bounds events, not bytes.
type queue struct {
	size     int
	maxBytes int64
	now      func() time.Time

	mu      sync.Mutex
	work    *sync.Cond // signalled when ready gains an item or the queue closes
	idle    *sync.Cond // broadcast when nothing is queued or running
	ready   []*item    // items a worker may take, oldest first
	queued  int        // items not started: ready and parked behind a running job
	bytes   int64      // payload bytes of the queued items
	running int
	slots   map[string]*slot     // per pull request: running, and the one waiting item
	seen    *lru.Cache[struct{}] // delivery GUIDs accepted
	closed  bool
	dropped bool          // the shutdown deadline passed: queued items are handed back
	room    chan struct{} // closed (and replaced) whenever an item leaves the queue

	base    context.Context // cancelled when the shutdown deadline passes, and jobs with it
	cancel  context.CancelFunc
	workers sync.WaitGroup

	coalesced    atomic.Uint64
	deduplicated atomic.Uint64
}

// job is one evaluation to run.
type job struct {
	key   string // prKey, "" when not coalesced
	rank  rank
	guid  string // X-GitHub-Delivery, "" for the reconciler's jobs
	event string
	bytes int64
	ctx   context.Context // carries the logger
	// carry is what the events coalesced into this job asked for, handed
	// to run when the job starts (nothing merges into it after).
	carry carried
	run   func(ctx context.Context, c carried) error
}

// item is a place in the queue. Coalescing replaces its job and keeps its
// age.
type item struct {
	job    *job
	queued time.Time
}

type slot struct {
	running bool
	waiting *item // in ready, or parked until the running job ends
}

// dedupeSize is the number of delivery GUIDs remembered. GitHub redelivers
// a failed delivery within minutes (the reconciler) or days (a person), and
// a replica takes a few events a second at most: 10,000 cover hours.
const dedupeSize = 10_000

// queueOptions size a queue; see the ServerConfig fields of the same names.
type queueOptions struct {
	workers, size int
	maxBytes      int64
	dedupeSize    int
	now           func() time.Time
}

func newQueue(o queueOptions) *queue {
	seen := lru.New[struct{}](o.dedupeSize, 0, nil)
	if o.now == nil {
		o.now = time.Now
	}
	q := &queue{size: o.size, maxBytes: o.maxBytes, now: o.now, slots: map[string]*slot{}, seen: seen, room: make(chan struct{})}
	q.work, q.idle = sync.NewCond(&q.mu), sync.NewCond(&q.mu)
	q.base, q.cancel = context.WithCancel(context.Background())
	for range o.workers {
		q.workers.Add(1)
		go q.worker()
	}
	return q
}

// The webhook gate answers both with 503.
var (
	errShuttingDown = errors.New("server is shutting down")
	errQueueFull    = errors.New("evaluation queue is full")
)

// delivery is a webhook the gate checked and parsed, for the queue.
type delivery struct {
	guid      string // X-GitHub-Delivery
	eventType string // X-GitHub-Event
	bytes     int64  // the payload's size, counted against maxBytes
	event     event
}

// accept queues a delivery; ctx carries the request's logger. A delivery
// seen before is accepted and not queued again.
func (q *queue) accept(ctx context.Context, d delivery) error {
	j := &job{guid: d.guid, event: d.eventType, bytes: d.bytes, ctx: q.jobContext(ctx), carry: d.event.carried(), run: d.event.handle}
	if pr, r, ok := d.event.target(); ok {
		j.key, j.rank = prKey(pr.Owner, pr.Repo, pr.Number), r
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.seen.Get(j.guid); j.guid != "" && dup {
		q.deduplicated.Add(1)
		zerolog.Ctx(ctx).Info().Msg("delivery seen before; not evaluated again")
		return nil
	}
	if err := q.enqueueLocked(j); err != nil {
		return err
	}
	if j.guid != "" {
		q.seen.Add(j.guid, struct{}{})
	}
	return nil
}

// jobContext is the context a job runs in: the request's logger (delivery
// id and event), without the request's end: it ends when the delivery is
// answered.
func (q *queue) jobContext(ctx context.Context) context.Context {
	return zerolog.Ctx(ctx).WithContext(context.Background())
}

// submitWait queues a job that is not a delivery (the reconciler's), once
// fewer than fill (0..1) of the queue's places are taken: the reconciler
// leaves the rest to webhooks, which cannot wait.
func (q *queue) submitWait(ctx context.Context, j *job, fill float64) error {
	limit := max(int(float64(q.size)*fill), 1)
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return errShuttingDown
		}
		if q.queued < limit {
			err := q.enqueueLocked(j)
			q.mu.Unlock()
			return err
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// enqueueLocked queues j, merging it into a waiting evaluation of the same
// pull request.
func (q *queue) enqueueLocked(j *job) error {
	if q.closed {
		return errShuttingDown
	}
	s := q.slots[j.key]
	if j.key != "" && s != nil && s.waiting != nil {
		w := s.waiting
		if j.rank >= w.job.rank {
			bytes := j.bytes + w.job.carry.size()
			if q.bytes-w.job.bytes+bytes > q.maxBytes {
				return errQueueFull
			}
			q.bytes += bytes - w.job.bytes
			j.bytes, j.carry = bytes, w.job.carry.merge(j.carry)
			w.job = j
		} else {
			more := j.carry.size()
			if q.bytes+more > q.maxBytes {
				return errQueueFull
			}
			q.bytes += more
			w.job.bytes += more
			w.job.carry = w.job.carry.merge(j.carry)
		}
		q.coalesced.Add(1)
		return nil
	}
	if q.queued >= q.size || q.bytes+j.bytes > q.maxBytes {
		return errQueueFull
	}
	it := &item{job: j, queued: q.now()}
	q.queued++
	q.bytes += j.bytes
	if j.key == "" {
		q.pushLocked(it)
		return nil
	}
	if s == nil {
		s = &slot{}
		q.slots[j.key] = s
	}
	s.waiting = it
	if !s.running {
		q.pushLocked(it)
	}
	return nil
}

func (q *queue) pushLocked(it *item) {
	q.ready = append(q.ready, it)
	q.work.Signal()
}

func (q *queue) worker() {
	defer q.workers.Done()
	for {
		q.mu.Lock()
		for len(q.ready) == 0 && !q.closed {
			q.work.Wait()
		}
		if len(q.ready) == 0 {
			q.mu.Unlock()
			return
		}
		it := q.ready[0]
		q.ready[0] = nil
		q.ready = q.ready[1:]
		j := it.job
		q.queued--
		q.bytes -= j.bytes
		if j.key != "" {
			s := q.slots[j.key]
			s.waiting, s.running = nil, true
		}
		q.running++
		close(q.room)
		q.room = make(chan struct{})
		dropped := q.dropped
		q.mu.Unlock()

		var err error
		if !dropped {
			err = q.execute(j)
		}

		q.mu.Lock()
		q.running--
		if j.guid != "" && err != nil {
			q.seen.Remove(j.guid)
		}
		if j.key != "" {
			s := q.slots[j.key]
			s.running = false
			switch {
			case s.waiting != nil:
				q.pushLocked(s.waiting)
			default:
				delete(q.slots, j.key)
			}
		}
		if q.queued == 0 && q.running == 0 {
			q.idle.Broadcast()
		}
		q.mu.Unlock()
	}
}

func (q *queue) execute(j *job) (err error) {
	// The job's context also ends when the shutdown deadline passes.
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	defer context.AfterFunc(q.base, cancel)()
	logger := zerolog.Ctx(ctx)
	defer func() {
		if r := recover(); r != nil {
			// A bug in one evaluation must not take the server down with
			// every other queued event.
			logger.Error().Interface("panic", r).Msg("event handler panicked")
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if err = j.run(ctx, j.carry); err != nil {
		logger.Error().Err(err).Msg("event handling failed")
	}
	return err
}

// Wait blocks until every queued event has been handled. Unlike a
// sync.WaitGroup it may be called while events keep arriving.
func (q *queue) Wait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.queued > 0 || q.running > 0 {
		q.idle.Wait()
	}
}

// Close stops accepting events and waits until the accepted ones are
// handled or ctx ends. Then it cancels the running evaluations, drops the
// queued ones and returns an error that says how many were handed back:
// each is a pull request whose run the reconciler will find missing or
// out of date.
func (q *queue) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.work.Broadcast()
	close(q.room) // wake submitWait
	q.room = make(chan struct{})
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	q.dropped = true
	queued, running := q.queued, q.running
	q.mu.Unlock()
	q.cancel()
	return fmt.Errorf("shutdown deadline passed with %d evaluations running and %d queued; handed back to the reconciler: %w", running, queued, ctx.Err())
}

// queueStats is the queue's state for metrics and readiness.
type queueStats struct {
	depth, capacity int
	bytes, maxBytes int64
	running         int
	oldest          time.Duration // age of the oldest queued event
}

func (q *queue) stats() queueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := queueStats{depth: q.queued, capacity: q.size, bytes: q.bytes, maxBytes: q.maxBytes, running: q.running}
	var oldest time.Time
	note := func(it *item) {
		if it != nil && (oldest.IsZero() || it.queued.Before(oldest)) {
			oldest = it.queued
		}
	}
	for _, it := range q.ready {
		note(it)
	}
	for _, s := range q.slots {
		note(s.waiting) // parked ones are not in ready
	}
	if !oldest.IsZero() {
		st.oldest = q.now().Sub(oldest)
	}
	return st
}

// saturated reports a queue more than 90% full, by events or by bytes:
// readiness fails so that the load balancer prefers other replicas before
// deliveries are refused.
func (s queueStats) saturated() bool {
	return s.depth*10 > s.capacity*9 || s.bytes*10 > s.maxBytes*9
}
