package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server"
)

func TestFlagsDefaultsEnvAndCommandLine(t *testing.T) {
	var out bytes.Buffer
	c, err := parseFlags(nil, &out)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8080", c.addr)
	assert.Equal(t, 30, c.tickRate)
	assert.Equal(t, 24, c.npcs)
	assert.Equal(t, 300*time.Millisecond, c.maxRewind)

	t.Setenv("TICKWIRE_TICK_RATE", "60")
	t.Setenv("TICKWIRE_ADDR", "127.0.0.1:9999")
	c, err = parseFlags([]string{"-addr", "127.0.0.1:7000"}, &out)
	require.NoError(t, err)
	assert.Equal(t, 60, c.tickRate, "environment sets what the command line does not")
	assert.Equal(t, "127.0.0.1:7000", c.addr, "the command line wins")

	t.Setenv("TICKWIRE_NPCS", "many")
	_, err = parseFlags(nil, &out)
	assert.ErrorContains(t, err, "TICKWIRE_NPCS")
}

func TestFlagsRejectNonsense(t *testing.T) {
	for _, args := range [][]string{
		{"-tick-rate", "0"},
		{"-max-players", "0"},
		{"-npcs", "-1"},
		{"-tls-cert", "c.pem"},
		{"-max-rewind", "0s"},
		{"-max-rewind", "2s"},
	} {
		_, err := parseFlags(args, &bytes.Buffer{})
		assert.Error(t, err, args)
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"-h"}, &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, f := range []string{"-addr", "-tick-rate", "-max-players", "-npcs", "-log-level", "TICKWIRE_"} {
		assert.Contains(t, out.String(), f)
	}
}

func TestTokenCommandMintsVerifiableTokens(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, mintToken([]string{"-secret", "k", "-room", "r1", "-player", "ann", "-ttl", "1m"}, &out, &errOut))
	player, err := server.VerifyJoinToken([]byte("k"), strings.TrimSpace(out.String()), "r1", time.Now())
	require.NoError(t, err)
	assert.Equal(t, "ann", player)

	assert.Error(t, mintToken([]string{"-room", "r1"}, &out, &errOut))
}
