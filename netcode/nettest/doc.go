// Package nettest holds network tools for tests and load runs: a TCP proxy
// that injects latency and jitter between clients and a server, so the
// netcode (RTT estimation, input lead, prediction, lag compensation) can be
// exercised and measured under a known round trip on loopback. loadbots'
// accuracy scenario and the latency tests use it.
package nettest
