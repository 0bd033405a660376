package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJoinTokens(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	tok := MintJoinToken(secret, "room.1", "user-42", now.Add(time.Minute))

	player, err := VerifyJoinToken(secret, tok, "room.1", now)
	require.NoError(t, err)
	assert.Equal(t, "user-42", player)

	_, err = VerifyJoinToken(secret, tok, "room.1", now.Add(time.Minute))
	assert.ErrorIs(t, err, ErrTokenExpired)
	_, err = VerifyJoinToken(secret, tok, "room.2", now)
	assert.ErrorIs(t, err, ErrTokenRoom)
	_, err = VerifyJoinToken([]byte("other"), tok, "room.1", now)
	assert.ErrorIs(t, err, ErrTokenForged)
	_, err = VerifyJoinToken(secret, "", "room.1", now)
	assert.ErrorIs(t, err, ErrTokenMissing)

	// Changing any part breaks the signature, even to another valid token's
	// part: the expiry cannot be extended, nor the room swapped.
	parts := strings.Split(tok, ".")
	later := MintJoinToken(secret, "room.1", "user-42", now.Add(time.Hour))
	parts[3] = strings.Split(later, ".")[3]
	_, err = VerifyJoinToken(secret, strings.Join(parts, "."), "room.1", now)
	assert.ErrorIs(t, err, ErrTokenForged)

	for _, bad := range []string{"x", "v1.a.b.c", "v2.a.b.c.d", tok + ".", "v1.!!.b.1.sig"} {
		_, err = VerifyJoinToken(secret, bad, "room.1", now)
		assert.Error(t, err, bad)
	}
}

func FuzzVerifyJoinToken(f *testing.F) {
	secret := []byte("k")
	f.Add(MintJoinToken(secret, "r", "p", time.Unix(2_000_000_000, 0)))
	f.Add("v1....")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		player, err := VerifyJoinToken(secret, tok, "r", time.Unix(1_900_000_000, 0))
		if err == nil {
			// Only a token this secret signed verifies, so re-minting its
			// fields must give the very same token back.
			parts := strings.Split(tok, ".")
			require.Len(t, parts, 5)
			exp, perr := strconv.ParseInt(parts[3], 10, 64)
			require.NoError(t, perr)
			require.Equal(t, tok, MintJoinToken(secret, "r", player, time.Unix(exp, 0)))
		}
	})
}
