//go:build js

package main

import (
	"net/url"
	"strconv"
	"syscall/js"
)

// loadConfig reads the page's query string (?url=&room=&name=&autoconnect=1)
// and derives the default server from the page's own address.
func loadConfig() (config, error) {
	c := config{Room: defaultRoom, Name: defaultName}
	href := js.Global().Get("location").Get("href").String()
	if u, err := wsURLForPage(href); err == nil {
		c.URL = u
	}
	page, err := url.Parse(href)
	if err != nil {
		return c, nil
	}
	q := page.Query()
	if v := q.Get("url"); v != "" {
		c.URL = v
	}
	if v := q.Get("room"); v != "" {
		c.Room = v
	}
	if v := q.Get("name"); v != "" {
		c.Name = v
	}
	c.Token = q.Get("token")
	if q.Has("autoconnect") {
		c.AutoConnect = parseBool(q.Get("autoconnect"))
	}
	if q.Has("debug") {
		c.Debug = parseBool(q.Get("debug"))
	}
	if v, err := strconv.Atoi(q.Get("exit-after")); err == nil && v > 0 {
		c.ExitAfter = v
	}
	return c, nil
}
