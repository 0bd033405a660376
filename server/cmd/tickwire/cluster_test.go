package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
)

func TestClusterFlags(t *testing.T) {
	c, err := parseFlags([]string{"-directory", "redis://127.0.0.1:6379/0", "-api-key", "k", "-public-url", "wss://play.example.com/ws"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "redis://127.0.0.1:6379/0", c.directory)
	assert.Equal(t, "wss://play.example.com/ws", c.publicURL)

	t.Setenv("TICKWIRE_DIRECTORY", "redis://redis:6379/1")
	c, err = parseFlags([]string{"-api-key", "k"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "redis://redis:6379/1", c.directory, "the environment sets it too")

	_, err = parseFlags([]string{"-directory", "redis://127.0.0.1:6379/0"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-api-key")
	_, err = parseFlags([]string{"-api-key", "k", "-public-url", "http://x/ws"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-public-url")

	// A malformed directory URL stops the start with a clear error.
	err = run([]string{"-addr", "127.0.0.1:0", "-api-key", "k", "-directory", "redis://127.0.0.1:notaport/0"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "-directory")
	err = run([]string{"-addr", "127.0.0.1:0", "-api-key", "k", "-directory", "memcached://127.0.0.1:11211"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "want redis://")
}

// TestBinaryClusterKill9 runs three real processes sharing a real Redis,
// kills one with SIGKILL, and checks the directory forgets it within its
// TTL while matchmaking sends new players to the other two.
func TestBinaryClusterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed; .ci/deps.sh installs it")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); skipping")
	}
	port := freeLoopbackPort(t)
	rs := exec.Command(redisBin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	require.NoError(t, rs.Start())
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer rdb.Close()
	require.Eventually(t, func() bool { return rdb.Ping(context.Background()).Err() == nil }, 10*time.Second, 20*time.Millisecond)

	bin := buildBinary(t)
	dirURL := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	var cmds []*exec.Cmd
	var addrs []string
	for range 3 {
		cmd, addr := startBinary(t, bin, nil, nil, "-addr", "127.0.0.1:0", "-npcs", "0", "-tick-rate", "10",
			"-api-key", "key", "-auth-secret", "secret", "-directory", dirURL)
		cmds = append(cmds, cmd)
		addrs = append(addrs, addr)
	}
	require.Eventually(t, func() bool { return rdb.SCard(context.Background(), "tickwire:procs").Val() == 3 }, 10*time.Second, 20*time.Millisecond)

	matchmake := func(addr, player string) server.Reservation {
		req, err := http.NewRequest("POST", "http://"+addr+"/api/matchmake", bytes.NewBufferString(`{"player":"`+player+`","max_players":2}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer key")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var res server.Reservation
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
		return res
	}
	owners := map[string]bool{}
	for i := range 6 {
		owners[matchmake(addrs[0], fmt.Sprint("p", i)).URL] = true
	}
	require.Len(t, owners, 3, "a room on each process")

	victimURL := "ws://" + addrs[2] + "/ws"
	require.NoError(t, cmds[2].Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	// Matchmaking never sends anyone to the dead process, even before its
	// TTL lapses, and the players it sends elsewhere get in.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 6; i < 10; i++ {
		res := matchmake(addrs[i%2], fmt.Sprint("p", i))
		assert.NotEqual(t, victimURL, res.URL)
		c, err := netcode.Dial(ctx, res.URL, &netcode.Options{Room: res.Room, Token: res.Token})
		require.NoError(t, err)
		c.Close()
	}
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", "http://"+addrs[0]+"/api/rooms", nil)
		req.Header.Set("Authorization", "Bearer key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct{ Rooms []server.ClusterRoom }
		if json.NewDecoder(resp.Body).Decode(&body) != nil {
			return false
		}
		for _, r := range body.Rooms {
			if r.URL == victimURL {
				return false
			}
		}
		return true
	}, 8*time.Second, 100*time.Millisecond, "the killed process's rooms leave the directory within its TTL (5s)")
	t.Logf("killed process left the directory after %s", time.Since(killed).Round(10*time.Millisecond))
}
