package protocol

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/schema/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

// TestGolden pins the exact bytes of one message of every type, so a change
// to the wire format (a layout, the field order, the builder's output) is
// a visible diff in review, never an accident. Rewrite with -update.
func TestGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, msg := range seedMessages() {
		fmt.Fprintf(&b, "%s %s\n", wire.MessageType(msg[0]), hex.EncodeToString(msg))
	}
	const path = "testdata/golden.txt"
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "wire bytes changed; if on purpose, run go test -update and bump ProtocolVersion if old peers cannot read them")
}
