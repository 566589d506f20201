package server

import (
	"context"
	"errors"
	"sync"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
)

// payloadChecker is implemented by handlers that can tell a malformed
// payload from a valid one cheaply, before the event is queued.
type payloadChecker interface {
	// CheckPayload decodes what the handler needs and reports a payload
	// that lacks it.
	CheckPayload(payload []byte) error
}

// queue is the dispatcher's scheduler. GitHub gives a delivery 10 seconds
// and never retries it (shared GITHUB-FACTS §1), while an evaluation makes several API requests, so events are
// answered as soon as they are queued and evaluated by a fixed pool of
// workers. Unlike go-githubapp's QueueAsyncScheduler it checks each payload
// first, so that a malformed one is answered 400 instead of being accepted
// and failing later, and it can be drained on shutdown.
type queue struct {
	work    chan queued
	workers sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pending int        // queued or running jobs
	idle    *sync.Cond // broadcast when pending drops to 0
}

type queued struct {
	ctx context.Context
	d   githubapp.Dispatch
}

func newQueue(workers, size int) *queue {
	q := &queue{work: make(chan queued, size)}
	q.idle = sync.NewCond(&q.mu)
	for range workers {
		q.workers.Add(1)
		go q.run()
	}
	return q
}

// Schedule implements githubapp.Scheduler.
func (q *queue) Schedule(ctx context.Context, d githubapp.Dispatch) error {
	if c, ok := d.Handler.(payloadChecker); ok {
		if err := c.CheckPayload(d.Payload); err != nil {
			// The dispatcher's error callback answers a ValidationError
			// with 400.
			return githubapp.ValidationError{EventType: d.EventType, DeliveryID: d.DeliveryID, Cause: err}
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errShuttingDown
	}
	// The job runs after the request is answered, so it gets a context of
	// its own that keeps the request's logger (delivery id and event).
	job := queued{ctx: githubapp.DefaultContextDeriver(ctx), d: d}
	select {
	case q.work <- job:
		q.pending++
		return nil
	default:
		return githubapp.ErrCapacityExceeded
	}
}

var errShuttingDown = errors.New("server is shutting down")

func (q *queue) run() {
	defer q.workers.Done()
	for job := range q.work {
		q.execute(job)
	}
}

func (q *queue) execute(job queued) {
	defer q.done()
	logger := zerolog.Ctx(job.ctx)
	defer func() {
		if r := recover(); r != nil {
			// A bug in one evaluation must not take the server down with
			// every other queued event.
			logger.Error().Interface("panic", r).Msg("event handler panicked")
		}
	}()
	if err := job.d.Execute(job.ctx); err != nil {
		logger.Error().Err(err).Msg("event handling failed")
	}
}

func (q *queue) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending--; q.pending == 0 {
		q.idle.Broadcast()
	}
}

// Wait blocks until every queued event has been handled. Unlike a
// sync.WaitGroup it may be called while events keep arriving.
func (q *queue) Wait() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.pending > 0 {
		q.idle.Wait()
	}
}

// Close stops accepting events and waits until the queued ones are handled
// or ctx ends.
func (q *queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.work)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
