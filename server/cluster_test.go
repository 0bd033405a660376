package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
)

// The cluster tests run real redis-server and three tickwire servers that
// share it, in this process, on loopback.

const clusterTTL = 2 * time.Second

// directoryKinds are the directory implementations every cluster test
// runs against.
var directoryKinds = []string{"redis", "memory"}

// startCluster starts n nodes sharing a directory of kind (for "redis", a
// redis-server of its own, returned) and waits until all n registered.
func startCluster(t *testing.T, n int, kind string) (*redisServer, []*clusterNode) {
	t.Helper()
	var rs *redisServer
	var shared server.ClusterDirectory = server.NewMemoryDirectory()
	if kind == "redis" {
		rs = startRedis(t)
	}
	nodes := make([]*clusterNode, n)
	for i := range nodes {
		dir := shared
		if rs != nil {
			var err error
			dir, err = server.OpenDirectory(rs.url())
			require.NoError(t, err)
		}
		nodes[i] = startNode(t, fmt.Sprintf("node-%c", 'a'+i), dir, clusterTTL)
	}
	for _, node := range nodes {
		require.Eventually(t, func() bool { return strings.Contains(node.log.String(), "registered in the directory") },
			5*time.Second, 20*time.Millisecond, "every node registers in the directory")
	}
	if rs != nil {
		require.Equal(t, n, rs.processCount(t))
	}
	return rs, nodes
}

// eachDirectory runs test once per directory implementation.
func eachDirectory(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range directoryKinds {
		t.Run(kind, func(t *testing.T) { test(t, kind) })
	}
}

// joinAt joins the room of a matchmaking answer at the URL it names, with
// its token, and checks the player got the reserved seat.
func joinAt(t *testing.T, ctx context.Context, m matchResponse) *netcode.Client {
	t.Helper()
	c, err := netcode.Dial(ctx, m.URL, &netcode.Options{Room: m.Room, Token: m.Token})
	require.NoError(t, err, "join %s at %s", m.Room, m.URL)
	require.Equal(t, m.Room, c.Welcome().Room)
	return c
}

func TestClusterMatchmakeNeverOverfills(t *testing.T) {
	eachDirectory(t, func(t *testing.T, kind string) {
		_, nodes := startCluster(t, 3, kind)
		const players, seats = 300, 16
		answers := make([]matchResponse, players)
		var wg sync.WaitGroup
		for i := range players {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = matchmake(t, nodes[i%3], server.MatchRequest{Player: fmt.Sprintf("p%03d", i)})
			}()
		}
		wg.Wait()

		byURL := map[string]*clusterNode{}
		for _, n := range nodes {
			byURL[n.URL] = n
		}
		type roomAt struct{ url, room string }
		perRoom := map[roomAt]int{}
		for i, m := range answers {
			require.Equal(t, http.StatusOK, m.Status, "matchmake %d: %s %s", i, m.Code, m.Error)
			require.Contains(t, byURL, m.URL, "the answer names one of the processes")
			perRoom[roomAt{m.URL, m.Room}]++
		}
		// Every reservation is held by the room the answer named, and no room
		// holds more than its seats.
		procsWithRooms := map[string]bool{}
		for ra, n := range perRoom {
			st, err := byURL[ra.url].Room(ra.room)
			require.NoError(t, err, "room %s lives where the answer said", ra.room)
			assert.LessOrEqual(t, n, seats, "room %s", ra.room)
			assert.Equal(t, n, st.Reserved+st.Seated, "room %s holds every seat handed out for it", ra.room)
			procsWithRooms[ra.url] = true
		}
		assert.LessOrEqual(t, len(perRoom), (players+seats-1)/seats+3, "rooms are filled, not one opened per request")
		assert.Len(t, procsWithRooms, 3, "new rooms go to the least-loaded process")
		t.Logf("%d players in %d rooms", players, len(perRoom))

		// The cluster-wide list, from any node, shows every room where it lives.
		status, rooms := listRooms(t, nodes[1])
		require.Equal(t, http.StatusOK, status)
		listed := map[roomAt]bool{}
		for _, r := range rooms {
			listed[roomAt{r.URL, r.ID}] = true
		}
		for ra := range perRoom {
			assert.True(t, listed[roomAt{ra.url, ra.room}], "room %s is listed cluster-wide", ra.room)
		}

		// A sample joins for real, at the URL each was given.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for i := 0; i < players; i += players / 60 {
			c := joinAt(t, ctx, answers[i])
			c.Close()
		}
	})
}

func TestClusterCrashedProcessDropsOut(t *testing.T) {
	eachDirectory(t, func(t *testing.T, kind string) {
		_, nodes := startCluster(t, 3, kind)
		// Two-seat rooms: six players open one room on each process.
		req := func(i int) server.MatchRequest {
			return server.MatchRequest{Player: fmt.Sprintf("p%d", i), MaxPlayers: 2}
		}
		owner := map[string]int{}
		var first matchResponse
		for i := range 6 {
			m := matchmake(t, nodes[0], req(i))
			require.Equal(t, http.StatusOK, m.Status, m.Error)
			owner[m.URL]++
			if i == 0 {
				first = m
			}
		}
		require.Len(t, owner, 3, "one room on each process")

		// A player on a surviving process, to show it never notices; another
		// process dies.
		var survivor, victim *clusterNode
		for _, n := range nodes {
			if n.URL == first.URL {
				survivor = n
			} else {
				victim = n
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		playing := joinAt(t, ctx, first)
		defer playing.Close()

		server.AbandonCluster(victim.Server)
		crashed := time.Now()
		victim.close()

		// Before its TTL lapses the directory still lists the dead process;
		// matchmaking that lands on it finds it gone and goes elsewhere.
		for i := 6; i < 12; i++ {
			m := matchmake(t, survivor, req(i))
			require.Equal(t, http.StatusOK, m.Status, m.Error)
			assert.NotEqual(t, victim.URL, m.URL, "no player is sent to the dead process")
		}
		// Within its TTL its rooms leave the directory.
		require.Eventually(t, func() bool {
			status, rooms := listRooms(t, survivor)
			if status != http.StatusOK {
				return false
			}
			for _, r := range rooms {
				if r.Process == victim.ID {
					return false
				}
			}
			return true
		}, clusterTTL+2*time.Second, 50*time.Millisecond, "the dead process's rooms drop out")
		t.Logf("dead process gone from the directory %s after the crash (TTL %s)", time.Since(crashed).Round(10*time.Millisecond), clusterTTL)

		// The player on a live process kept playing throughout.
		last, ok := playing.Latest()
		require.True(t, ok)
		snap, err := playing.WaitSnapshot(ctx, last.Tick+5)
		require.NoError(t, err)
		assert.Greater(t, snap.Tick, last.Tick)
		assert.NoError(t, playing.Err())
	})
}

func TestClusterSurvivesRedisRestart(t *testing.T) {
	rs, nodes := startCluster(t, 2, "redis")
	m := matchmake(t, nodes[0], server.MatchRequest{Player: "before"})
	require.Equal(t, http.StatusOK, m.Status, m.Error)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	playing := joinAt(t, ctx, m)
	defer playing.Close()

	rs.stop()
	// Matchmaking says why it cannot, at once and clearly.
	began := time.Now()
	down := matchmake(t, nodes[1], server.MatchRequest{Player: "during"})
	assert.Equal(t, http.StatusServiceUnavailable, down.Status)
	assert.Equal(t, "directory_unavailable", down.Code)
	assert.Less(t, time.Since(began), 5*time.Second, "no hang")
	status, _ := listRooms(t, nodes[0])
	assert.Equal(t, http.StatusServiceUnavailable, status)

	// The match keeps ticking without Redis.
	last, ok := playing.Latest()
	require.True(t, ok)
	snap, err := playing.WaitSnapshot(ctx, last.Tick+10)
	require.NoError(t, err)
	assert.Greater(t, snap.Tick, last.Tick)
	require.Eventually(t, func() bool {
		return strings.Contains(nodes[0].log.String(), "directory unavailable")
	}, 5*time.Second, 20*time.Millisecond, "the outage is logged")

	// Redis comes back empty; the processes re-register and matchmaking
	// works again, into the room that kept running.
	rs.start()
	require.Eventually(t, func() bool { return rs.processCount(t) == 2 }, 3*clusterTTL, 20*time.Millisecond, "both processes re-register")
	require.Eventually(t, func() bool {
		return strings.Contains(nodes[0].log.String(), "re-registered")
	}, 5*time.Second, 20*time.Millisecond)
	after := matchmake(t, nodes[1], server.MatchRequest{Player: "after"})
	require.Equal(t, http.StatusOK, after.Status, after.Error)
	assert.Equal(t, m.Room, after.Room, "the surviving room is found again")
	assert.Equal(t, m.URL, after.URL)
	joinAt(t, ctx, after).Close()
	assert.NoError(t, playing.Err())
}

func TestClusterGetRoomSaysWhereItLives(t *testing.T) {
	eachDirectory(t, func(t *testing.T, kind string) {
		_, nodes := startCluster(t, 2, kind)
		m := matchmake(t, nodes[0], server.MatchRequest{Player: "x", Labels: map[string]string{"mode": "duel"}})
		require.Equal(t, http.StatusOK, m.Status, m.Error)
		require.Eventually(t, func() bool {
			for _, n := range nodes {
				status, data := apiDo(t, "GET", n.HTTP+"/api/rooms/"+m.Room, nil)
				if status != http.StatusOK || !strings.Contains(string(data), `"url": "`+m.URL+`"`) {
					return false
				}
			}
			return true
		}, 3*clusterTTL, 50*time.Millisecond, "every process says where the room lives")
		status, _ := apiDo(t, "GET", nodes[1].HTTP+"/api/rooms/nowhere", nil)
		assert.Equal(t, http.StatusNotFound, status)
	})
}

func TestOpenDirectoryRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "http://localhost:6379", "redis://localhost:notaport/0", "redis://[::1/0", "redis://localhost:6379/notadb"} {
		_, err := server.OpenDirectory(u)
		assert.Error(t, err, "%q", u)
	}
	d, err := server.OpenDirectory("redis://127.0.0.1:6379/2")
	require.NoError(t, err)
	require.NoError(t, d.Close())
}

func TestClusterUnreachableRedisAtStart(t *testing.T) {
	// Nothing listens here: the server starts anyway, logs, retries, and
	// answers matchmaking with a clear 503 rather than hang.
	dir, err := server.OpenDirectory(fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t)))
	require.NoError(t, err)
	n := startNode(t, "lonely", dir, clusterTTL)
	require.Eventually(t, func() bool {
		return strings.Contains(n.log.String(), "directory unavailable")
	}, 5*time.Second, 20*time.Millisecond, "the failure is logged")
	began := time.Now()
	m := matchmake(t, n, server.MatchRequest{Player: "p"})
	assert.Equal(t, http.StatusServiceUnavailable, m.Status)
	assert.Equal(t, "directory_unavailable", m.Code)
	assert.Contains(t, m.Error, "directory is unavailable")
	assert.Less(t, time.Since(began), 3*time.Second)
	closed := make(chan struct{})
	go func() { n.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on an unreachable directory")
	}
}

func TestClusterMatchmakeBadParams(t *testing.T) {
	eachDirectory(t, func(t *testing.T, kind string) {
		_, nodes := startCluster(t, 2, kind)
		// A room the request itself opens refuses its params: the caller hears
		// why (400), on whichever process the room was to open.
		for i, n := range nodes {
			m := matchmake(t, n, server.MatchRequest{Player: "p", Labels: map[string]string{"try": fmt.Sprint(i)}, Params: map[string]string{"npcs": "lots"}})
			assert.Equal(t, http.StatusBadRequest, m.Status, "%s %s", m.Code, m.Error)
		}
		// And nothing of them is left in the directory.
		status, rooms := listRooms(t, nodes[0])
		require.Equal(t, http.StatusOK, status)
		assert.Empty(t, rooms)
	})
}
