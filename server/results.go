package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/tickwire/tickwire/sim"
)

// MatchResult is how one match ended, as the callback and the webhook
// receive it.
type MatchResult struct {
	// MatchID names the match, unique across rooms and restarts: the
	// webhook's Idempotency-Key, so a receiver can drop a redelivery.
	MatchID string            `json:"match_id"`
	Room    string            `json:"room"`
	Game    string            `json:"game"`
	Labels  map[string]string `json:"labels,omitempty"`
	// StartedAt is when the room opened, EndedAt when the game ended the
	// match, after Ticks ticks.
	StartedAt time.Time  `json:"started_at"`
	EndedAt   time.Time  `json:"ended_at"`
	Ticks     sim.Tick   `json:"ticks"`
	Result    sim.Result `json:"result"`
}

// Webhook headers. The body is the MatchResult as JSON, the same bytes on
// every attempt.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the body
	// under Options.WebhookSecret (see VerifyWebhook).
	HeaderSignature = "X-Tickwire-Signature"
	// HeaderIdempotencyKey carries the match id.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderAttempt counts deliveries of this result, from 1.
	HeaderAttempt = "X-Tickwire-Attempt"
)

// SignWebhook returns the HeaderSignature value for body under secret.
func SignWebhook(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook reports whether signature (a HeaderSignature value) signs
// body under secret. A receiver checks it before trusting a result.
func VerifyWebhook(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(signature), []byte(SignWebhook(secret, body)))
}

// newMatchID returns 128 random bits in hex.
func newMatchID() string {
	var b [16]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// endMatch records the result of the room's match; room goroutine only,
// once, as the room closes. The result is in the outbox (on disk, with
// OutboxPath) before this returns.
func (r *room) endMatch(res sim.Result) {
	r.srv.hosting.results.record(MatchResult{
		MatchID:   r.matchID,
		Room:      r.name,
		Game:      r.gameName,
		Labels:    maps.Clone(r.labels),
		StartedAt: r.created.UTC(),
		EndedAt:   time.Now().UTC(),
		Ticks:     r.tick,
		Result:    res,
	})
}

// results delivers match results from the outbox to the callback and the
// webhook: at least once each, retried with exponential backoff until they
// take it. Its goroutine (run) is the only one that delivers, so the
// callback is never called concurrently.
type results struct {
	srv    *Server
	box    *outbox
	client *http.Client
	kick   chan struct{} // capacity 1: a new entry is waiting
	// Deliverer goroutine only: when each entry may next be tried.
	next map[uint64]time.Time
}

func newResults(s *Server, box *outbox) *results {
	return &results{
		srv:    s,
		box:    box,
		client: &http.Client{Timeout: 10 * time.Second},
		kick:   make(chan struct{}, 1),
		next:   make(map[uint64]time.Time),
	}
}

// wanted reports whether anyone takes results.
func (d *results) wanted() bool {
	return d.srv.opts.OnResult != nil || d.srv.opts.WebhookURL != ""
}

// record puts a result in the outbox and wakes the deliverer.
func (d *results) record(res MatchResult) {
	log := d.srv.log.With("match", res.MatchID, "room", res.Room)
	if !d.wanted() {
		log.Info("match result (no callback or webhook configured)", "result", res.Result)
		return
	}
	if _, err := d.box.add(outboxEntry{Result: res}); err != nil {
		// Nothing else can hold it: say so loudly, with the result, so
		// it is at least in the log.
		log.Error("could not store match result in the outbox; it will not be delivered", "err", err, "result", res)
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// run delivers until the server stops (ctx ends then too, cancelling a
// request in flight); undelivered entries stay in the outbox for the next
// start.
func (d *results) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-d.kick:
		case <-d.srv.shutdown:
			return
		}
		wait := d.deliverDue(ctx, time.Now())
		timer.Stop()
		timer.Reset(wait)
	}
}

// idleWait is how long the deliverer sleeps with nothing to retry; a new
// result wakes it sooner.
const idleWait = time.Hour

// deliverDue tries every entry whose time has come and returns how long
// until the next one is due.
func (d *results) deliverDue(ctx context.Context, now time.Time) time.Duration {
	entries, err := d.box.pending()
	if err != nil {
		d.srv.log.Error("cannot read the results outbox", "err", err)
		return d.srv.opts.WebhookRetryMax
	}
	wait := idleWait
	for _, e := range entries {
		if ctx.Err() != nil {
			return wait
		}
		if at, ok := d.next[e.seq]; ok && now.Before(at) {
			wait = min(wait, at.Sub(now))
			continue
		}
		if d.attempt(ctx, &e) {
			if err := d.box.remove(e.seq); err != nil {
				d.srv.log.Error("cannot remove a delivered result from the outbox", "match", e.Result.MatchID, "err", err)
			}
			delete(d.next, e.seq)
			continue
		}
		if err := d.box.update(e); err != nil {
			d.srv.log.Error("cannot update the results outbox", "match", e.Result.MatchID, "err", err)
		}
		backoff := d.backoff(e.Attempts)
		d.next[e.seq] = now.Add(backoff)
		wait = min(wait, backoff)
	}
	return wait
}

// attempt delivers e to whichever destinations still lack it and reports
// whether all have it now. A destination no longer configured (the server
// restarted without it) counts as done.
func (d *results) attempt(ctx context.Context, e *outboxEntry) bool {
	o := &d.srv.opts
	log := d.srv.log.With("match", e.Result.MatchID, "room", e.Result.Room)
	e.Attempts++
	if !e.CallbackDone {
		if o.OnResult == nil {
			e.CallbackDone = true
		} else if err := callResult(o.OnResult, e.Result); err != nil {
			d.count("callback", "failed")
			log.Warn("result callback failed; will retry", "attempt", e.Attempts, "err", err)
		} else {
			d.count("callback", "ok")
			e.CallbackDone = true
		}
	}
	if !e.WebhookDone {
		if o.WebhookURL == "" {
			e.WebhookDone = true
		} else if err := d.post(ctx, e); err != nil {
			d.count("webhook", "failed")
			log.Warn("result webhook failed; will retry", "attempt", e.Attempts, "url", o.WebhookURL, "err", err)
		} else {
			d.count("webhook", "ok")
			e.WebhookDone = true
			log.Info("result delivered to webhook", "attempt", e.Attempts)
		}
	}
	return e.CallbackDone && e.WebhookDone
}

func (d *results) count(destination, outcome string) {
	d.srv.hosting.deliveries.WithLabelValues(destination, outcome).Inc()
}

// callResult calls the host's callback; a panic in it is its failure, not
// the server's.
func callResult(f func(MatchResult) error, res MatchResult) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("callback panicked: %v", v)
		}
	}()
	return f(res)
}

// post sends one webhook request; any 2xx is an acknowledgement.
func (d *results) post(ctx context.Context, e *outboxEntry) error {
	body, err := json.Marshal(e.Result)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.srv.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tickwire")
	req.Header.Set(HeaderIdempotencyKey, e.Result.MatchID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(e.Attempts))
	if secret := d.srv.webhookSecret(); len(secret) > 0 {
		req.Header.Set(HeaderSignature, SignWebhook(secret, body))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// backoff is the wait before attempt n+1: WebhookRetryMin doubling per
// attempt up to WebhookRetryMax, with ±25% jitter so that many results
// failing together do not retry in lockstep.
func (d *results) backoff(attempts int) time.Duration {
	o := &d.srv.opts
	b := o.WebhookRetryMin
	for i := 1; i < attempts && b < o.WebhookRetryMax; i++ {
		b *= 2
	}
	b = min(b, o.WebhookRetryMax)
	return b*3/4 + time.Duration(rand.Int64N(int64(b/2)+1))
}

// webhookSecret is what webhook bodies are signed with: WebhookSecret, or
// else the API key, which the host's backend already holds.
func (s *Server) webhookSecret() []byte {
	if len(s.opts.WebhookSecret) > 0 {
		return s.opts.WebhookSecret
	}
	return []byte(s.opts.APIKey)
}
