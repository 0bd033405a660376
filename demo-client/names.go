package main

import (
	"fmt"
	"strings"

	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/sim"
)

// playerNames labels player entities with the names their players joined
// under, from the server's roster.
type playerNames struct {
	byEntity map[sim.EntityID]protocol.RosterEntry
}

// update takes the newest roster.
func (n *playerNames) update(roster []protocol.RosterEntry) {
	if n.byEntity == nil {
		n.byEntity = make(map[sim.EntityID]protocol.RosterEntry, len(roster))
	}
	clear(n.byEntity)
	for _, e := range roster {
		n.byEntity[e.EntityID] = e
	}
}

// label is what entity id is called on screen: its player's name as the
// debug font can draw it, "player #id" when the roster does not name it
// (yet), and "(away)" while its player is reconnecting.
func (n *playerNames) label(id sim.EntityID) string {
	e, ok := n.byEntity[id]
	name := printable(e.Name)
	if strings.TrimSpace(name) == "" {
		name = fmt.Sprintf("player #%d", id)
	}
	if ok && !e.Connected {
		name += " (away)"
	}
	return name
}

// printable replaces what Ebitengine's debug font cannot draw (anything
// outside printable ASCII) with '?'; the server admits any printable
// Unicode name.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return '?'
		}
		return r
	}, s)
}
