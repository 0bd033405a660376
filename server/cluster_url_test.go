package server

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterURLs(t *testing.T) {
	for _, tc := range []struct{ public, api string }{
		{"ws://10.0.0.7:7350/ws", "http://10.0.0.7:7350"},
		{"wss://play.example.com/ws", "https://play.example.com"},
		{"wss://play.example.com/eu/ws/", "https://play.example.com/eu"},
	} {
		got, err := apiBaseURL(tc.public)
		require.NoError(t, err, tc.public)
		assert.Equal(t, tc.api, got, tc.public)
	}
	for _, bad := range []string{"", "http://x/ws", "ws:///ws", "://"} {
		_, err := CheckPublicURL(bad)
		assert.Error(t, err, "%q", bad)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9000}
	assert.Equal(t, "ws://127.0.0.1:9000/ws", defaultPublicURL(addr, false))
	assert.Equal(t, "wss://127.0.0.1:9000/ws", defaultPublicURL(addr, true))
	any := defaultPublicURL(&net.TCPAddr{IP: net.IPv4zero, Port: 9000}, false)
	assert.NotContains(t, any, "0.0.0.0", "an unspecified address is no place to send players")
}
