package server_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// monitored starts a server with a room "monitored" holding ann and bob.
func monitored(t *testing.T) *servertest.Server {
	t.Helper()
	srv := startHost(t, nil)
	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "monitored", Game: "sprint", MaxPlayers: 4, Labels: map[string]string{"mode": "ffa"}}, http.StatusCreated)
	for _, name := range []string{"ann", "bob"} {
		res := decodeJSON[server.Reservation](t, api(t, srv, "POST", "/api/rooms/monitored/reservations", map[string]string{"player": name}, http.StatusCreated))
		joinWith(t, srv, res)
	}
	require.Eventually(t, func() bool {
		st, err := srv.Room("monitored")
		return err == nil && st.Seated == 2
	}, 5*time.Second, 20*time.Millisecond)
	return srv
}

func TestMonitorData(t *testing.T) {
	t.Parallel()
	srv := monitored(t)
	var d server.MonitorData
	require.Eventually(t, func() bool {
		d = decodeJSON[server.MonitorData](t, []byte(httpGet(t, srv.HTTP+"/monitor/data")))
		// A second of ticks closes the first bytes-per-second window.
		return len(d.Rooms) == 1 && d.Rooms[0].BytesPerSecond > 0
	}, 5*time.Second, 50*time.Millisecond)
	r := d.Rooms[0]
	assert.Equal(t, "monitored", r.ID)
	assert.Equal(t, 2, r.Seated)
	require.Len(t, r.Players, 2)
	assert.ElementsMatch(t, []string{"ann", "bob"}, []string{r.Players[0].Name, r.Players[1].Name})
	assert.Greater(t, r.TickMillisP99, 0.0)
	assert.LessOrEqual(t, r.TickMillisP50, r.TickMillisP95)
	assert.LessOrEqual(t, r.TickMillisP95, r.TickMillisP99)
	assert.Equal(t, 2, d.Connections)
}

func TestMonitorIsForLoopbackOrTheKey(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	get := func(path string, header http.Header) int {
		req, err := http.NewRequest("GET", srv.HTTP+path, nil)
		require.NoError(t, err)
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	proxied := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	withKey := http.Header{"X-Forwarded-For": {"203.0.113.9"}, "Authorization": {"Bearer " + testAPIKey}}
	wrongKey := http.Header{"X-Forwarded-For": {"203.0.113.9"}, "Authorization": {"Bearer nope"}}
	for _, path := range []string{"/monitor", "/monitor/data"} {
		assert.Equal(t, http.StatusOK, get(path, nil), "%s from loopback", path)
		assert.Equal(t, http.StatusUnauthorized, get(path, proxied), "%s through a proxy, no key", path)
		assert.Equal(t, http.StatusUnauthorized, get(path, wrongKey), "%s with a wrong key", path)
		assert.Equal(t, http.StatusOK, get(path, withKey), "%s with the key", path)
		assert.Equal(t, http.StatusOK, get(path+"?key="+testAPIKey, proxied), "%s with ?key=", path)
	}
	page := httpGet(t, srv.HTTP+"/monitor")
	assert.Contains(t, page, "/monitor/data")
}

// TestMonitorPageInChromium loads /monitor in headless Chromium and checks
// the rendered page shows the room the test made and its players: the
// page's script fetched the data and drew it.
func TestMonitorPageInChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no %s: cannot load the monitor page in a browser (%v)", chromium, err)
	}
	srv := monitored(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The page is fetched with the key in the URL even though loopback
	// needs none, so the page's own Authorization header path runs too.
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=3000", "--dump-dom",
		srv.HTTP+"/monitor?key="+testAPIKey)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium: %s", stderr.String())
	dom := string(out)
	assert.Contains(t, dom, `data-room="monitored"`, "the room is on the page")
	assert.Contains(t, dom, `data-player="ann"`)
	assert.Contains(t, dom, `data-player="bob"`)
	assert.Contains(t, dom, "players 2/4")
	assert.Contains(t, dom, "mode=ffa")
	assert.Contains(t, dom, "tick time p50")
	assert.Regexp(t, `\d+\.\d ms`, dom, "an RTT is shown")
	assert.Contains(t, dom, `<div id="error"></div>`, "no failed update")
}
