//go:build !linux

package server

import (
	"errors"
	"net"
)

// detachRaw is Linux-only; elsewhere every connection stays in the
// netpoller (modeQueued).
func detachRaw(net.Conn) (rawSocket, error) {
	return nil, errors.New("room-driven sockets need Linux")
}
