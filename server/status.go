package server

import "github.com/coder/websocket"

// Close statuses the server ends connections with. Standard RFC 6455 codes
// where one fits; 4000-4099 for tickwire's own reasons, so a client can tell
// "try again later" (room full) from "fix your client" (version mismatch).
// The same code and a reason text go out in a Kick message first, because
// browsers hide close reasons from some error paths.
const (
	StatusNormal          = websocket.StatusNormalClosure   // 1000: the player left
	StatusGoingAway       = websocket.StatusGoingAway       // 1001: the server is shutting down
	StatusProtocolError   = websocket.StatusProtocolError   // 1002: malformed or unexpected message
	StatusUnsupportedData = websocket.StatusUnsupportedData // 1003: a text frame
	StatusPolicy          = websocket.StatusPolicyViolation // 1008: a limit or a rule was broken
	StatusTooBig          = websocket.StatusMessageTooBig   // 1009: a message over the size limit
	StatusInternalError   = websocket.StatusInternalError   // 1011: the room failed
	StatusTryAgainLater   = websocket.StatusTryAgainLater   // 1013: the server is at a capacity limit

	StatusVersionMismatch websocket.StatusCode = 4000 // the client speaks another protocol version
	StatusRoomFull        websocket.StatusCode = 4001 // the room has no free seat
	StatusJoinRefused     websocket.StatusCode = 4002 // the game refused the join; the reason says why
	StatusRoomClosed      websocket.StatusCode = 4003 // the room ended (match over, deleted)
	StatusJoinTimeout     websocket.StatusCode = 4004 // no Join arrived in time
	StatusSlowConsumer    websocket.StatusCode = 4005 // the client stopped reading its snapshots
	StatusIdle            websocket.StatusCode = 4006 // the client went silent
	StatusReplaced        websocket.StatusCode = 4007 // the player resumed on another connection
	StatusUnauthorized    websocket.StatusCode = 4008 // the join token is missing, expired, forged or for another room
)
