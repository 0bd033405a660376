// Package rawsock takes a TCP connection's socket out of Go's netpoller,
// so that its owner can read and write it with plain system calls at the
// moments it chooses.
//
// Go's netpoller wakes a goroutine for every arrival and reads until
// EAGAIN, two reads per message; on machines where a system call costs
// microseconds that is most of a game server's CPU. The server's rooms
// read each seated socket once a tick and netcode.Poller reads many bots'
// sockets from one goroutine, and both start here.
//
// Detach is Linux-only: the trick relies on epoll registrations living as
// long as a descriptor, not the socket it names.
package rawsock
