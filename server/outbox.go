package server

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// outbox keeps match results until every destination (Options.OnResult,
// Options.WebhookURL) has taken them. With a file (Options.OutboxPath) it is
// a bbolt database: an entry is on disk, synced, before the room that ended
// the match moves on, and only removed once delivered, so a crash or a
// restart loses none; the next server on the same file replays it. Without
// a file it is a map, and a restart forgets what was undelivered.
type outbox struct {
	db *bbolt.DB // nil: memory only

	mu  sync.Mutex // guards mem and seq (memory mode)
	mem map[uint64]outboxEntry
	seq uint64
}

// outboxEntry is one match result and how far its delivery got.
type outboxEntry struct {
	seq          uint64      // the key: entries replay in the order matches ended
	Result       MatchResult `json:"result"`
	CallbackDone bool        `json:"callback_done"`
	WebhookDone  bool        `json:"webhook_done"`
	Attempts     int         `json:"attempts"`
}

var outboxBucket = []byte("results")

// openOutbox opens (creating if needed) the outbox file at path, or a
// memory outbox when path is empty. A file another process (or another
// Server in this one) holds open is an error after a short wait, not a
// hang.
func openOutbox(path string) (*outbox, error) {
	if path == "" {
		return &outbox{mem: make(map[uint64]outboxEntry)}, nil
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(outboxBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	return &outbox{db: db}, nil
}

// add stores a new entry durably and returns it with its key.
func (o *outbox) add(e outboxEntry) (outboxEntry, error) {
	if o.db == nil {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.seq++
		e.seq = o.seq
		o.mem[e.seq] = e
		return e, nil
	}
	err := o.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(outboxBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.seq = seq
		return putEntry(b, e)
	})
	return e, err
}

// update stores e's delivery state over the entry with its key.
func (o *outbox) update(e outboxEntry) error {
	if o.db == nil {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.mem[e.seq] = e
		return nil
	}
	return o.db.Update(func(tx *bbolt.Tx) error { return putEntry(tx.Bucket(outboxBucket), e) })
}

// remove deletes a delivered entry.
func (o *outbox) remove(seq uint64) error {
	if o.db == nil {
		o.mu.Lock()
		defer o.mu.Unlock()
		delete(o.mem, seq)
		return nil
	}
	return o.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(outboxBucket).Delete(seqKey(seq)) })
}

// pending returns every undelivered entry, oldest first. An entry that no
// longer decodes (written by an incompatible version) is skipped, not
// fatal; it stays in the file for a person to look at.
func (o *outbox) pending() ([]outboxEntry, error) {
	if o.db == nil {
		o.mu.Lock()
		defer o.mu.Unlock()
		keys := slices.Sorted(maps.Keys(o.mem))
		out := make([]outboxEntry, 0, len(keys))
		for _, k := range keys {
			out = append(out, o.mem[k])
		}
		return out, nil
	}
	var out []outboxEntry
	err := o.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(outboxBucket).ForEach(func(k, v []byte) error {
			var e outboxEntry
			if len(k) != 8 || json.Unmarshal(v, &e) != nil {
				return nil
			}
			e.seq = binary.BigEndian.Uint64(k)
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// close closes the file; the outbox must not be used after.
func (o *outbox) close() error {
	if o.db == nil {
		return nil
	}
	return o.db.Close()
}

func putEntry(b *bbolt.Bucket, e outboxEntry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put(seqKey(e.seq), v)
}

// seqKey is big-endian so bbolt's byte order is the order of sequence.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
