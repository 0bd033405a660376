package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server"
)

// redisServer is a real redis-server on a loopback port, started by the
// test and killed when it ends; stop and start again keep the port, so a
// test can take Redis away and bring it back.
type redisServer struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
}

// startRedis starts redis-server, or skips the test when it is not
// installed (fails under CI=true, where .ci/deps.sh installs it).
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/redis-server"); serr == nil {
			bin, err = "/usr/bin/redis-server", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed; .ci/deps.sh installs it (apt-get install redis-server)")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); skipping the cluster directory test")
	}
	r := &redisServer{t: t, bin: bin, port: freePort(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir)
	require.NoError(r.t, r.cmd.Start())
	c := r.client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server did not answer on port %d: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills redis-server (SIGKILL: Redis going away, not a goodbye).
func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

func (r *redisServer) client() *redis.Client {
	o, err := redis.ParseURL(r.url())
	require.NoError(r.t, err)
	return redis.NewClient(o)
}

// processCount is how many processes the directory lists as live.
func (r *redisServer) processCount(t *testing.T) int {
	c := r.client()
	defer c.Close()
	ids, err := c.SMembers(context.Background(), "tickwire:procs").Result()
	require.NoError(t, err)
	n := 0
	for _, id := range ids {
		if c.Exists(context.Background(), "tickwire:proc:"+id).Val() == 1 {
			n++
		}
	}
	return n
}

// clusterNode is one tickwire process of a test cluster, in this process.
type clusterNode struct {
	*server.Server
	ID, URL, HTTP string
	log           *server.SyncBuffer
	served        chan error
	closeOnce     sync.Once
}

const (
	clusterAPIKey = "cluster-key"
	clusterSecret = "cluster-secret"
)

// startNode starts a server in the cluster of dir, with a directory TTL
// of ttl.
func startNode(t *testing.T, id string, dir server.ClusterDirectory, ttl time.Duration) *clusterNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	n := &clusterNode{ID: id, log: &server.SyncBuffer{}, served: make(chan error, 1)}
	n.URL = "ws://" + ln.Addr().String() + "/ws"
	n.HTTP = "http://" + ln.Addr().String()
	n.Server = server.New(&server.Options{
		TickRate:      10,
		GameParams:    map[string]string{"npcs": "0"},
		APIKey:        clusterAPIKey,
		AuthSecret:    []byte(clusterSecret),
		MaxConnsPerIP: 1000,
		Cluster:       &server.ClusterOptions{Directory: dir, ProcessID: id, TTL: ttl},
		Logger:        slog.New(slog.NewTextHandler(n.log, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	go func() { n.served <- n.Serve(ln) }()
	t.Cleanup(n.close)
	return n
}

// close stops the node (withdrawing it, unless server.AbandonCluster).
func (n *clusterNode) close() {
	n.closeOnce.Do(func() {
		n.Close()
		<-n.served
	})
}

// matchResponse is an answer of POST /api/matchmake, either kind.
type matchResponse struct {
	Status int
	server.Reservation
	Code  string `json:"code"`
	Error string `json:"error"`
}

func apiDo(t *testing.T, method, url string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+clusterAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func matchmake(t *testing.T, n *clusterNode, req server.MatchRequest) matchResponse {
	status, data := apiDo(t, "POST", n.HTTP+"/api/matchmake", req)
	var m matchResponse
	json.Unmarshal(data, &m)
	m.Status = status
	return m
}

func listRooms(t *testing.T, n *clusterNode) (int, []server.ClusterRoom) {
	status, data := apiDo(t, "GET", n.HTTP+"/api/rooms", nil)
	var body struct {
		Rooms []server.ClusterRoom `json:"rooms"`
	}
	json.Unmarshal(data, &body)
	return status, body.Rooms
}
