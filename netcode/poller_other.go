//go:build !linux

package netcode

import "errors"

// Poller reads many clients' connections from one goroutine. It needs
// Linux's epoll; elsewhere NewPoller fails and clients read for
// themselves.
type Poller struct{}

// NewPoller fails on this platform.
func NewPoller() (*Poller, error) { return nil, errors.New("netcode: Poller needs Linux") }

// Close does nothing.
func (p *Poller) Close() error { return nil }

func (p *Poller) add(*Client, link) bool { return false }

var errWouldBlock = errors.New("netcode: would block")
