package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// churn makes cfg.Churn bots a second leave (a goodbye, as a player who
// quits) and a new bot take each one's seat: the same room and behaviour,
// a new connection and player. It picks seats at random and keeps at most
// dialConcurrency rejoins in flight; a beat that finds them all busy is
// skipped and counted, so a slow server lowers the churn rather than
// piling up dials. It returns when ctx ends and its rejoins have.
func (sw *swarm) churn(ctx context.Context) {
	if sw.cfg.Churn <= 0 {
		return
	}
	every := time.Duration(float64(time.Second) / sw.cfg.Churn)
	rng := rand.New(rand.NewPCG(sw.cfg.Seed, 0xc4)) // only this goroutine draws
	beat := time.NewTicker(max(every, time.Millisecond))
	defer beat.Stop()
	sem := make(chan struct{}, dialConcurrency)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	busy := map[int]bool{} // seats being rejoined; guarded by sw.mu
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			sw.m.churnSkipped.Add(1)
			continue
		}
		sw.mu.Lock()
		seat := rng.IntN(len(sw.bots))
		old := sw.bots[seat]
		taken := busy[seat]
		busy[seat] = true
		sw.mu.Unlock()
		if taken {
			<-sem
			sw.m.churnSkipped.Add(1)
			continue
		}
		inFlight.Go(func() {
			defer func() { <-sem }()
			sw.rejoin(ctx, seat, old)
			sw.mu.Lock()
			delete(busy, seat)
			sw.mu.Unlock()
		})
	}
}

// rejoin retires the bot in seat and dials a new one into it. A bot whose
// rejoin failed earlier is already retired: the seat is dialled again.
func (sw *swarm) rejoin(ctx context.Context, seat int, old *bot) {
	if old.retired.CompareAndSwap(false, true) {
		if old.counted.CompareAndSwap(true, false) {
			sw.m.connected.Add(-1)
		}
		old.client.Close() // a dropped connection has nothing to say goodbye on
	}
	nb, err := sw.dial(ctx, old.idx)
	if err != nil {
		if ctx.Err() == nil {
			sw.m.rejoinFailed.Add(1)
			sw.m.noteError(fmt.Errorf("rejoin: %w", err))
		}
		return
	}
	sw.mu.Lock()
	sw.bots[seat] = nb
	sw.mu.Unlock()
	sw.seat(nb)
	sw.m.rejoined.Add(1)
}
