package server

import "sync"

// tasks counts the goroutines the server owns (rooms, connections, their
// goodbyes, the janitor) so that Shutdown and Close can wait for them.
//
// A sync.WaitGroup will not do: its count may only rise from zero before
// Wait, and the HTTP server hands the server new connections from
// goroutines of its own, unordered with Shutdown. A connection accepted as
// the last room closed would race Wait (the race detector sees it), or
// start after Wait returned and outlive the server. tasks takes new work
// from anyone until it has drained after stop, and refuses it from then on.
type tasks struct {
	mu       sync.Mutex
	running  int
	stopping bool
	drained  chan struct{} // closed when stopping and nothing runs
}

func newTasks() *tasks { return &tasks{drained: make(chan struct{})} }

// start runs f on a goroutine of its own, counted; false (and f not run)
// if the server has already drained.
func (t *tasks) start(f func()) bool {
	t.mu.Lock()
	if t.stopping && t.running == 0 {
		t.mu.Unlock()
		return false
	}
	t.running++
	t.mu.Unlock()
	go func() {
		defer t.done()
		f()
	}()
	return true
}

func (t *tasks) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running--; t.running == 0 && t.stopping {
		close(t.drained)
	}
}

// stop makes the count's next fall to zero final; wait for it on drained.
// Goroutines still running may start others until then.
func (t *tasks) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return
	}
	t.stopping = true
	if t.running == 0 {
		close(t.drained)
	}
}
