package server

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutboxKeepsEntriesAcrossReopen(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", filepath.Join(t.TempDir(), "outbox.db")} {
		box, err := openOutbox(path)
		require.NoError(t, err)
		var seqs []uint64
		for _, id := range []string{"a", "b", "c"} {
			e, err := box.add(outboxEntry{Result: MatchResult{MatchID: id, Room: "r"}})
			require.NoError(t, err)
			seqs = append(seqs, e.seq)
		}
		require.NoError(t, box.update(outboxEntry{seq: seqs[1], Result: MatchResult{MatchID: "b"}, WebhookDone: true, Attempts: 3}))
		require.NoError(t, box.remove(seqs[0]))
		if path != "" {
			require.NoError(t, box.close())
			box, err = openOutbox(path)
			require.NoError(t, err)
		}
		pending, err := box.pending()
		require.NoError(t, err)
		require.Len(t, pending, 2, "path %q", path)
		assert.Equal(t, "b", pending[0].Result.MatchID, "oldest first")
		assert.True(t, pending[0].WebhookDone)
		assert.Equal(t, 3, pending[0].Attempts)
		assert.Equal(t, "c", pending[1].Result.MatchID)
		e, err := box.add(outboxEntry{Result: MatchResult{MatchID: "d"}})
		require.NoError(t, err)
		assert.Greater(t, e.seq, seqs[2], "keys keep growing after a reopen")
		require.NoError(t, box.close())
	}
}

func TestBackoffDoublesWithinBounds(t *testing.T) {
	t.Parallel()
	s := &Server{opts: Options{WebhookRetryMin: 100 * time.Millisecond, WebhookRetryMax: time.Second}}
	d := &results{srv: s}
	for attempts, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		for range 20 {
			b := d.backoff(attempts)
			assert.GreaterOrEqual(t, b, want*3/4, "attempt %d", attempts)
			assert.LessOrEqual(t, b, want*5/4, "attempt %d", attempts)
		}
	}
}
