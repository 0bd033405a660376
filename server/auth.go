package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Join tokens let a host's backend decide who may join which room: with
// Options.AuthSecret set, a Join must carry a token minted with the same
// secret, for that room, not yet expired. The token names the player (the
// host's own player id), which becomes the player's name in the room.
//
// Format: "v1.<room>.<player>.<expiry unix seconds>.<signature>", each part
// base64url without padding, the signature HMAC-SHA256 over the first four
// parts joined by dots. Text, not JSON, so it is cheap to check and easy to
// mint in any language.

// Errors VerifyJoinToken returns; the text is what the refused player reads.
var (
	ErrTokenMissing   = errors.New("this server requires a join token")
	ErrTokenMalformed = errors.New("join token is malformed")
	ErrTokenForged    = errors.New("join token signature is invalid")
	ErrTokenExpired   = errors.New("join token has expired")
	ErrTokenRoom      = errors.New("join token is for another room")
)

const tokenVersion = "v1"

var b64 = base64.RawURLEncoding.Strict()

// MintJoinToken returns a token that lets player join room until expiry,
// signed with secret. A host's backend calls it (or `tickwire token`).
func MintJoinToken(secret []byte, room, player string, expiry time.Time) string {
	payload := tokenVersion + "." + b64.EncodeToString([]byte(room)) + "." +
		b64.EncodeToString([]byte(player)) + "." + strconv.FormatInt(expiry.Unix(), 10)
	return payload + "." + b64.EncodeToString(tokenMAC(secret, payload))
}

// VerifyJoinToken checks token against secret for room at now and returns
// the player it names.
func VerifyJoinToken(secret []byte, token, room string, now time.Time) (player string, err error) {
	if token == "" {
		return "", ErrTokenMissing
	}
	// Only canonical tokens: the base64 decoder would skip line breaks and
	// accept non-zero padding bits, so several strings would carry one
	// signature (found by FuzzVerifyJoinToken).
	if strings.ContainsAny(token, "\r\n") {
		return "", ErrTokenMalformed
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != tokenVersion {
		return "", ErrTokenMalformed
	}
	sig, err := b64.DecodeString(parts[4])
	if err != nil {
		return "", ErrTokenMalformed
	}
	payload := token[:len(token)-len(parts[4])-1]
	// Check the signature before believing any field.
	if !hmac.Equal(sig, tokenMAC(secret, payload)) {
		return "", ErrTokenForged
	}
	roomBytes, err1 := b64.DecodeString(parts[1])
	playerBytes, err2 := b64.DecodeString(parts[2])
	expiry, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", ErrTokenMalformed
	}
	if now.Unix() >= expiry {
		return "", fmt.Errorf("%w (at %s)", ErrTokenExpired, time.Unix(expiry, 0).UTC().Format(time.RFC3339))
	}
	if string(roomBytes) != room {
		return "", ErrTokenRoom
	}
	return string(playerBytes), nil
}

func tokenMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
