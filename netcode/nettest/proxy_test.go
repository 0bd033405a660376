package nettest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer echoes every byte back until the connection closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func TestLatencyProxyDelaysAndKeepsOrder(t *testing.T) {
	const rtt, jitter = 80 * time.Millisecond, 20 * time.Millisecond
	p, err := NewLatencyProxy(echoServer(t), rtt, jitter)
	require.NoError(t, err)
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	var sent bytes.Buffer
	for i := range 20 {
		msg := []byte{byte(i), byte(i), byte(i)}
		sent.Write(msg)
		start := time.Now()
		_, err := c.Write(msg)
		require.NoError(t, err)
		got := make([]byte, len(msg))
		_, err = io.ReadFull(c, got)
		require.NoError(t, err)
		assert.Equal(t, msg, got)
		// Each direction waits at least rtt/2 - jitter/2: the round trip
		// can never be shorter than rtt - jitter.
		assert.GreaterOrEqual(t, time.Since(start), rtt-jitter)
	}

	// A burst arrives complete and in order despite the jitter.
	burst := make([]byte, 0, 3000)
	for i := range 1000 {
		burst = append(burst, byte(i), byte(i>>8), 0xAB)
		_, err := c.Write(burst[len(burst)-3:])
		require.NoError(t, err)
	}
	got := make([]byte, len(burst))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, burst, got)
}

func TestLatencyProxyCloses(t *testing.T) {
	p, err := NewLatencyProxy(echoServer(t), 0, 0)
	require.NoError(t, err)
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, p.Close())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 8)
	for {
		if _, err = c.Read(buf); err != nil {
			break
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		assert.False(t, ne.Timeout(), "the proxy closed the client's connection instead of leaving it hanging")
	}
}
