package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tickwire/tickwire/netcode/protocol"
)

func TestPlayerNames(t *testing.T) {
	var n playerNames
	assert.Equal(t, "player #4", n.label(4), "before any roster")
	n.update([]protocol.RosterEntry{
		{PlayerID: 1, EntityID: 4, Name: "ann", Connected: true},
		{PlayerID: 2, EntityID: 9, Name: "bøb", Connected: false},
		{PlayerID: 3, EntityID: 11, Name: "  ", Connected: true},
	})
	assert.Equal(t, "ann", n.label(4))
	assert.Equal(t, "b?b (away)", n.label(9), "non-ASCII drawn as ?, reconnecting shown")
	assert.Equal(t, "player #11", n.label(11), "a blank name")
	assert.Equal(t, "player #12", n.label(12), "not in the roster")

	n.update([]protocol.RosterEntry{{PlayerID: 2, EntityID: 9, Name: "bob", Connected: true}})
	assert.Equal(t, "bob", n.label(9))
	assert.Equal(t, "player #4", n.label(4), "a new roster replaces the old")
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "short", truncate("short", 8))
	assert.Equal(t, "exactly8", truncate("exactly8", 8))
	assert.Equal(t, "a longe~", truncate("a longer name", 8))
}
