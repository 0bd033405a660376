package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeServerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"ws://127.0.0.1:8080/ws", "ws://127.0.0.1:8080/ws"},
		{"127.0.0.1:8080", "ws://127.0.0.1:8080/ws"},
		{"  example.com  ", "ws://example.com/ws"},
		{"http://example.com", "ws://example.com/ws"},
		{"https://example.com/", "wss://example.com/ws"},
		{"wss://example.com/game/ws", "wss://example.com/game/ws"},
		{"https://example.com/game/ws?x=1", "wss://example.com/game/ws?x=1"},
	}
	for _, tt := range tests {
		got, err := normalizeServerURL(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"", "   ", "ftp://example.com", "ws://", "http://%zz"} {
		_, err := normalizeServerURL(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestWSURLForPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		page, want string
	}{
		{"http://127.0.0.1:8080/", "ws://127.0.0.1:8080/ws"},
		{"http://127.0.0.1:8080/?autoconnect=1&room=e2e", "ws://127.0.0.1:8080/ws"},
		{"http://127.0.0.1:8080/index.html#x", "ws://127.0.0.1:8080/ws"},
		// Behind a proxy, under a prefix and over TLS.
		{"https://example.com/game/", "wss://example.com/game/ws"},
		{"https://example.com/game/index.html?name=a", "wss://example.com/game/ws"},
	}
	for _, tt := range tests {
		got, err := wsURLForPage(tt.page)
		require.NoError(t, err, tt.page)
		assert.Equal(t, tt.want, got, tt.page)
	}
	_, err := wsURLForPage("file:///tmp/index.html")
	assert.Error(t, err)
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "1", "true", "yes", "on"} {
		assert.True(t, parseBool(s), "%q", s)
	}
	for _, s := range []string{"0", "false", "FALSE", "no", "off"} {
		assert.False(t, parseBool(s), "%q", s)
	}
}
