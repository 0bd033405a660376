package server

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

// webContentTypes pins the types the browser demo depends on. The system's
// mime tables (which mime.TypeByExtension consults) differ between machines,
// and a browser refuses to stream-compile a .wasm served as anything but
// application/wasm.
var webContentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".wasm": "application/wasm",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".png":  "image/png",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
}

// webHandler serves the static files under dir (the browser demo that
// `make wasm` builds): "/" is index.html, a directory is never listed, and
// when the client accepts gzip and "name.gz" sits beside "name", the
// precompressed file goes out instead, so a multi-megabyte .wasm costs a
// fraction on the wire without compressing per request.
//
// The file names carry no content hash, so every response says no-cache:
// the browser revalidates with the ETag (size and modification time of the
// file actually sent) and gets a cheap 304 until `make wasm` rebuilds.
//
// dir is opened per request through os.Root, so a request can not escape
// it (not even through a symlink), and rebuilding dir while the server runs
// is fine.
func (s *Server) webHandler(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveWebFile(w, r, dir)
	})
}

func serveWebFile(w http.ResponseWriter, r *http.Request, dir string) {
	// Checked here rather than by a "GET /" mux pattern, which would
	// conflict with method-less patterns such as "/api/".
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := webFileName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		http.Error(w, "web directory unavailable", http.StatusInternalServerError)
		return
	}
	defer root.Close()

	f, info, err := openWebFile(root, name)
	if err != nil {
		// Missing, a directory, a symlink out of dir, unreadable: all
		// look the same from outside, so nothing about dir leaks.
		http.NotFound(w, r)
		return
	}
	defer f.Close()

	h := w.Header()
	h.Set("Content-Type", webContentType(name))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	etagSuffix := ""
	if acceptsGzip(r.Header.Get("Accept-Encoding")) && r.Header.Get("Range") == "" {
		if gz, gzInfo, err := openWebFile(root, name+".gz"); err == nil {
			defer gz.Close()
			f, info, etagSuffix = gz, gzInfo, "-gzip"
			h.Set("Content-Encoding", "gzip")
			// ServeContent leaves the length out once an encoding is
			// set; the browser wants it to show download progress.
			h.Set("Content-Length", strconv.FormatInt(info.Size(), 10))
		}
	}
	h.Set("ETag", fmt.Sprintf(`"%x-%x%s"`, info.ModTime().UnixNano(), info.Size(), etagSuffix))
	// ServeContent answers If-None-Match (304), HEAD and, for the
	// uncompressed file, Range; the name is empty so it does not guess a
	// type from it (the type is already set).
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// webFileName maps a URL path to a file name relative to the web
// directory: "/" and "" mean index.html; a path ending in "/" names the
// index.html inside that directory. Paths that are not valid fs paths
// (".." elements, empty elements) are refused, as are hidden files.
func webFileName(urlPath string) (string, bool) {
	p := strings.TrimPrefix(urlPath, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	if !fs.ValidPath(p) {
		return "", false
	}
	for _, elem := range strings.Split(p, "/") {
		if strings.HasPrefix(elem, ".") {
			return "", false
		}
	}
	return p, true
}

// openWebFile opens a regular file in root; directories (which would
// otherwise be listed) and other non-regular files count as missing.
func openWebFile(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fs.ErrNotExist
	}
	return f, info, nil
}

func webContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := webContentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// acceptsGzip reports whether an Accept-Encoding header value admits gzip:
// listed (or covered by "*") with a q-value above zero.
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			starQ = max(starQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}
