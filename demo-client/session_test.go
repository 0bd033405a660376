//go:build !js

package main

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// The client mirrors the server's close codes (it may not import the
// server); this pins them together.
func TestCloseCodesMatchServer(t *testing.T) {
	t.Parallel()
	assert.Equal(t, server.StatusNormal, codeNormal)
	assert.Equal(t, server.StatusGoingAway, codeGoingAway)
	assert.Equal(t, server.StatusVersionMismatch, codeVersionMismatch)
	assert.Equal(t, server.StatusRoomFull, codeRoomFull)
	assert.Equal(t, server.StatusJoinRefused, codeJoinRefused)
	assert.Equal(t, server.StatusRoomClosed, codeRoomClosed)
	assert.Equal(t, server.StatusSlowConsumer, codeSlowConsumer)
	assert.Equal(t, server.StatusIdle, codeIdle)
	assert.Equal(t, server.StatusReplaced, codeReplaced)
	assert.Equal(t, server.StatusUnauthorized, codeUnauthorized)
	assert.Equal(t, server.StatusTryAgainLater, codeTryAgainLater)
}

func TestDescribeEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err      error
		retry    bool
		mentions string
	}{
		{&netcode.CloseError{Code: codeVersionMismatch, Reason: "want 2"}, false, "Update the client"},
		{&netcode.CloseError{Code: codeReplaced, Reason: "resumed"}, false, "another window"},
		{&netcode.CloseError{Code: codeJoinRefused, Reason: "bad name"}, false, "bad name"},
		{&netcode.CloseError{Code: codeRoomFull, Reason: "16 players"}, true, "full"},
		{&netcode.CloseError{Code: codeUnauthorized, Reason: "expired"}, false, "join token"},
		{&netcode.CloseError{Code: codeTryAgainLater, Reason: "too many rooms"}, true, "capacity"},
		{fmt.Errorf("%w: bad params", errNotArena), false, "arena only"},
		{&netcode.CloseError{Code: codeGoingAway, Reason: "server shutting down"}, true, "server shutting down"},
		{&netcode.CloseError{Code: websocket.StatusCode(4099), Reason: "new"}, true, "code 4099"},
		{fmt.Errorf("dial: %w", errors.New("connection refused")), true, "Cannot reach the server"},
	}
	for _, tt := range tests {
		retry, msg := describeEnd(tt.err)
		assert.Equal(t, tt.retry, retry, "%v", tt.err)
		assert.Contains(t, msg, tt.mentions, "%v", tt.err)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	t.Parallel()
	lowest := func() float64 { return 0 }
	highest := func() float64 { return 0.999999 }
	assert.Equal(t, backoffBase/2, backoffDelay(1, lowest))
	assert.InDelta(t, float64(backoffBase), float64(backoffDelay(1, highest)), float64(time.Millisecond))
	assert.Equal(t, backoffBase, backoffDelay(2, lowest))
	assert.Equal(t, 2*backoffBase, backoffDelay(3, lowest))
	for _, n := range []int{10, 100, 1 << 20} {
		d := backoffDelay(n, highest)
		assert.LessOrEqual(t, d, backoffMax, "attempt %d", n)
		assert.GreaterOrEqual(t, d, backoffMax/2, "attempt %d", n)
	}
}

// waitPhase polls the session until it reaches phase.
func waitPhase(t *testing.T, s *session, phase connPhase) sessionStatus {
	t.Helper()
	var st sessionStatus
	require.Eventually(t, func() bool {
		st = s.Status()
		return st.Phase == phase
	}, time.Minute, 10*time.Millisecond, "session did not reach phase %d (last: %+v)", phase, st)
	return st
}

func TestSessionConnectsAndReportsServerGone(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, nil)
	origin := time.Now()
	s := startSession(srv.URL, "sess", "ann", "", func() time.Duration { return time.Since(origin) })
	defer s.Stop()

	st := waitPhase(t, s, phaseConnected)
	require.NotNil(t, st.Client)
	require.NotNil(t, st.Layout)
	assert.Equal(t, "sess", st.Room)
	assert.NotZero(t, st.Own)
	waitPlayer(t, srv, "sess", "ann", 10*time.Second)
	require.Eventually(t, func() bool {
		_, _, ok := st.Buffer.Newest()
		return ok
	}, 10*time.Second, 10*time.Millisecond, "snapshots reach the buffer")

	srv.Stop(t)
	st = waitPhase(t, s, phaseRetrying)
	assert.Contains(t, st.Message, "went away")
	assert.Nil(t, st.Client)
	assert.Equal(t, 1, st.Attempt)
}

func TestSessionWaitsForASeatInAFullRoom(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, &server.Options{MaxPlayers: 1})
	origin := time.Now()
	clock := func() time.Duration { return time.Since(origin) }
	first := startSession(srv.URL, "full", "first", "", clock)
	defer first.Stop()
	waitPhase(t, first, phaseConnected)

	second := startSession(srv.URL, "full", "second", "", clock)
	defer second.Stop()
	st := waitPhase(t, second, phaseRetrying)
	assert.Contains(t, st.Message, "full")

	// A seat frees up: the waiting session takes it on a later attempt.
	first.Stop()
	waitPhase(t, second, phaseConnected)
	waitPlayer(t, srv, "full", "second", 30*time.Second)
}
