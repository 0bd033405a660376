package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// webTestDir lays out a browser bundle like `make wasm` does, plus traps:
// a subdirectory without index.html, a hidden file, and a secret outside.
func webTestDir(t *testing.T) string {
	t.Helper()
	parent := t.TempDir()
	dir := filepath.Join(parent, "web")
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	writeGzip := func(name, body string) {
		t.Helper()
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write([]byte(body))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		write(name+".gz", buf.String())
	}
	write("index.html", "<!doctype html><title>tickwire</title>")
	write("wasm_exec.js", "// go wasm support")
	writeGzip("wasm_exec.js", "// go wasm support")
	write("demo.wasm", "\x00asm\x01\x00\x00\x00 raw module")
	writeGzip("demo.wasm", "\x00asm\x01\x00\x00\x00 raw module")
	write("assets/readme.txt", "hello")
	write(".hidden", "private")
	require.NoError(t, os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("secret"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(parent, "secret.txt"), filepath.Join(dir, "escape.txt")))
	return dir
}

func webGet(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func gunzip(t *testing.T, s string) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader([]byte(s)))
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(b)
}

func TestWebHandlerServesFilesWithTypes(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(webTestDir(t))
	tests := []struct {
		target, wantType, wantBody string
	}{
		{"/", "text/html; charset=utf-8", "<!doctype html><title>tickwire</title>"},
		{"/index.html", "text/html; charset=utf-8", "<!doctype html><title>tickwire</title>"},
		{"/wasm_exec.js", "text/javascript; charset=utf-8", "// go wasm support"},
		{"/demo.wasm", "application/wasm", "\x00asm\x01\x00\x00\x00 raw module"},
		{"/assets/readme.txt", "text/plain; charset=utf-8", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			resp := webGet(t, h, http.MethodGet, tt.target, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			assert.Empty(t, resp.Header.Get("Content-Encoding"), "no Accept-Encoding: plain file")
			assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
			assert.NotEmpty(t, resp.Header.Get("ETag"))
			assert.Equal(t, tt.wantBody, readBody(t, resp))
		})
	}
}

func TestWebHandlerServesPrecompressed(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(webTestDir(t))
	tests := []struct {
		target, acceptEncoding, wantType, wantBody string
		wantGzip                                   bool
	}{
		{"/demo.wasm", "gzip, deflate, br", "application/wasm", "\x00asm\x01\x00\x00\x00 raw module", true},
		{"/wasm_exec.js", "gzip", "text/javascript; charset=utf-8", "// go wasm support", true},
		{"/demo.wasm", "br", "application/wasm", "\x00asm\x01\x00\x00\x00 raw module", false},
		{"/demo.wasm", "gzip;q=0, br", "application/wasm", "\x00asm\x01\x00\x00\x00 raw module", false},
		{"/demo.wasm", "*", "application/wasm", "\x00asm\x01\x00\x00\x00 raw module", true},
		// No .gz beside index.html: the plain file even though gzip is accepted.
		{"/", "gzip", "text/html; charset=utf-8", "<!doctype html><title>tickwire</title>", false},
	}
	for _, tt := range tests {
		t.Run(tt.target+" "+tt.acceptEncoding, func(t *testing.T) {
			resp := webGet(t, h, http.MethodGet, tt.target, http.Header{"Accept-Encoding": {tt.acceptEncoding}})
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.wantType, resp.Header.Get("Content-Type"))
			assert.Contains(t, resp.Header.Values("Vary"), "Accept-Encoding")
			body := readBody(t, resp)
			if tt.wantGzip {
				assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
				assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
				assert.Equal(t, tt.wantBody, gunzip(t, body))
			} else {
				assert.Empty(t, resp.Header.Get("Content-Encoding"))
				assert.Equal(t, tt.wantBody, body)
			}
		})
	}
}

func TestWebHandlerETagRevalidation(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(webTestDir(t))
	plain := webGet(t, h, http.MethodGet, "/demo.wasm", nil)
	gz := webGet(t, h, http.MethodGet, "/demo.wasm", http.Header{"Accept-Encoding": {"gzip"}})
	require.NotEmpty(t, plain.Header.Get("ETag"))
	assert.NotEqual(t, plain.Header.Get("ETag"), gz.Header.Get("ETag"),
		"the compressed and the plain representation must not share a validator")

	again := webGet(t, h, http.MethodGet, "/demo.wasm", http.Header{
		"Accept-Encoding": {"gzip"},
		"If-None-Match":   {gz.Header.Get("ETag")},
	})
	assert.Equal(t, http.StatusNotModified, again.StatusCode)
	assert.Empty(t, readBody(t, again))

	stale := webGet(t, h, http.MethodGet, "/demo.wasm", http.Header{
		"Accept-Encoding": {"gzip"},
		"If-None-Match":   {plain.Header.Get("ETag")},
	})
	assert.Equal(t, http.StatusOK, stale.StatusCode, "a plain ETag must not validate the gzip body")
}

func TestWebHandlerRefuses(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(webTestDir(t))
	for _, target := range []string{
		"/assets/",       // a directory without index.html: never listed
		"/assets",        // the directory itself
		"/.hidden",       // hidden files stay private
		"/missing.js",    //
		"/escape.txt",    // a symlink out of the directory
		"/../secret.txt", // traversal (httptest keeps the raw path)
		"/assets/../../secret.txt",
	} {
		t.Run(target, func(t *testing.T) {
			resp := webGet(t, h, http.MethodGet, target, nil)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.NotContains(t, readBody(t, resp), "secret")
		})
	}
}

func TestWebHandlerHead(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(webTestDir(t))
	resp := webGet(t, h, http.MethodHead, "/demo.wasm", http.Header{"Accept-Encoding": {"gzip"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	assert.Empty(t, readBody(t, resp))
}

func TestWebHandlerOnlyReads(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(webTestDir(t))
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		resp := webGet(t, h, method, "/index.html", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, method)
		assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	}
}

func TestWebHandlerMissingDir(t *testing.T) {
	t.Parallel()
	h := (&Server{}).webHandler(filepath.Join(t.TempDir(), "absent"))
	resp := webGet(t, h, http.MethodGet, "/", nil)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.0", false},
		{"br", false},
		{"*", true},
		{"*;q=0", false},
		{"*, gzip;q=0", false},
		{"x-gzip", true},
		{"gzip;q=bogus", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, acceptsGzip(tt.header), "Accept-Encoding: %q", tt.header)
	}
}

// TestWebHandlerThroughServer checks the route the Server mounts: the page
// at / beside /ws and /healthz.
func TestWebHandlerThroughServer(t *testing.T) {
	t.Parallel()
	dir := webTestDir(t)
	s := New(&Options{WebDir: dir})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/demo.wasm") // the Go client asks for gzip and decodes it
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.True(t, resp.Uncompressed, "the transport saw Content-Encoding: gzip")
	assert.Equal(t, "\x00asm\x01\x00\x00\x00 raw module", readBody(t, resp))
}

// FuzzWebPath feeds arbitrary request paths and Accept-Encoding values
// (both straight from the network) to the web handler's parsers: they never
// panic, and a path they accept names a file strictly inside the directory.
func FuzzWebPath(f *testing.F) {
	for _, s := range []string{"/", "/index.html", "/../etc/passwd", "/a/./b", "//x", "/.git/config", "/demo.wasm", "/a/b/", "\x00", "/%2e%2e/"} {
		f.Add(s, "gzip, br;q=0.5")
	}
	f.Add("/wasm_exec.js", "*;q=0, gzip;q=0.001")
	f.Fuzz(func(t *testing.T, urlPath, acceptEncoding string) {
		acceptsGzip(acceptEncoding)
		name, ok := webFileName(urlPath)
		if !ok {
			return
		}
		if !fs.ValidPath(name) || name == "." {
			t.Fatalf("webFileName(%q) = %q: not a valid path inside the directory", urlPath, name)
		}
		for _, elem := range strings.Split(name, "/") {
			if strings.HasPrefix(elem, ".") {
				t.Fatalf("webFileName(%q) = %q: a hidden or parent element", urlPath, name)
			}
		}
	})
}
