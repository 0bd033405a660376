//go:build !js

package netcode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// serverFrame is a frame as a server writes it: unmasked.
func serverFrame(fin bool, op byte, p []byte) []byte {
	b := []byte{op}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(p); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, p...)
}

// oneByteReader hands its bytes out one at a time, the worst a socket can.
type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func TestFrameReaderParsesWhatServersSend(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte{7}, 70000)
	mid := bytes.Repeat([]byte{5}, 300)
	var stream []byte
	stream = append(stream, serverFrame(true, opBinary, []byte("one"))...)
	stream = append(stream, serverFrame(true, opPong, []byte("skipped"))...)
	stream = append(stream, serverFrame(false, opBinary, []byte("frag"))...)
	stream = append(stream, serverFrame(true, opPing, []byte("between"))...)
	stream = append(stream, serverFrame(false, opContinuation, []byte("men"))...)
	stream = append(stream, serverFrame(true, opContinuation, []byte("ted"))...)
	stream = append(stream, serverFrame(true, opBinary, mid)...)
	stream = append(stream, serverFrame(true, opBinary, big)...)
	stream = append(stream, serverFrame(true, opBinary, nil)...)
	stream = append(stream, serverFrame(true, opText, []byte("text"))...)
	stream = append(stream, serverFrame(true, opClose, []byte{0x03, 0xE8, 'b', 'y', 'e'})...)
	want := []struct {
		op byte
		p  []byte
	}{
		{opBinary, []byte("one")}, {opPing, []byte("between")}, {opBinary, []byte("fragmented")},
		{opBinary, mid}, {opBinary, big}, {opBinary, []byte{}}, {opText, []byte("text")},
		{opClose, []byte{0x03, 0xE8, 'b', 'y', 'e'}},
	}
	for name, src := range map[string]io.Reader{
		"whole":         bytes.NewReader(stream),
		"byte by byte":  &oneByteReader{b: stream},
		"odd fragments": io.MultiReader(bytes.NewReader(stream[:3]), bytes.NewReader(stream[3:77]), bytes.NewReader(stream[77:])),
	} {
		var fr frameReader
		for i, w := range want {
			op, p, err := fr.next(src, 1<<20)
			require.NoError(t, err, "%s: frame %d", name, i)
			require.Equal(t, w.op, op, "%s: frame %d", name, i)
			require.Equal(t, len(w.p), len(p), "%s: frame %d", name, i)
			require.True(t, bytes.Equal(w.p, p), "%s: frame %d", name, i)
		}
		_, _, err := fr.next(src, 1<<20)
		require.ErrorIs(t, err, io.EOF, name)
	}
	ce, err := closeFrame([]byte{0x03, 0xE8, 'b', 'y', 'e'})
	require.NoError(t, err)
	require.Equal(t, websocket.CloseError{Code: websocket.StatusNormalClosure, Reason: "bye"}, ce)
}

func TestFrameReaderRefusesWhatNoServerMaySend(t *testing.T) {
	t.Parallel()
	masked := serverFrame(true, opBinary, []byte("abcd"))
	masked[1] |= 0x80
	long := serverFrame(true, opPing, bytes.Repeat([]byte{1}, 126))
	for name, tc := range map[string]struct {
		stream []byte
		want   error
	}{
		"masked":                {masked, errBadFrame},
		"reserved bits":         {append([]byte{0xC2, 0}, nil...), errBadFrame},
		"unknown data opcode":   {serverFrame(true, 0x3, nil), errBadFrame},
		"unknown control":       {serverFrame(true, 0xB, nil), errBadFrame},
		"fragmented control":    {serverFrame(false, opPing, nil), errBadFrame},
		"long control":          {long, errBadFrame},
		"lone continuation":     {serverFrame(true, opContinuation, []byte("x")), errBadFrame},
		"message inside a frag": {append(serverFrame(false, opBinary, []byte("a")), serverFrame(true, opBinary, []byte("b"))...), errBadFrame},
		"over the limit":        {serverFrame(true, opBinary, make([]byte, 65)), errMessageTooBig},
		"fragments over it":     {append(serverFrame(false, opBinary, make([]byte, 40)), serverFrame(true, opContinuation, make([]byte, 40))...), errMessageTooBig},
		"huge length":           {[]byte{0x82, 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, errMessageTooBig},
		"cut short":             {serverFrame(true, opBinary, []byte("abcdef"))[:5], io.ErrUnexpectedEOF},
	} {
		var fr frameReader
		_, _, err := fr.next(bytes.NewReader(tc.stream), 64)
		require.ErrorIs(t, err, tc.want, name)
	}
	// A whole message after a fragmented one is measured alone.
	var fr frameReader
	stream := append(serverFrame(false, opBinary, make([]byte, 40)), serverFrame(true, opContinuation, make([]byte, 20))...)
	stream = append(stream, serverFrame(true, opBinary, make([]byte, 50))...)
	src := bytes.NewReader(stream)
	for _, want := range []int{60, 50} {
		_, p, err := fr.next(src, 64)
		require.NoError(t, err)
		require.Len(t, p, want)
	}

	_, err := closeFrame([]byte{3})
	require.ErrorIs(t, err, errBadFrame)
	_, err = closeFrame([]byte{3, 0xE8, 0xFF})
	require.ErrorIs(t, err, errBadFrame, "a reason must be UTF-8")
	ce, err := closeFrame(nil)
	require.NoError(t, err)
	require.Equal(t, websocket.StatusNoStatusRcvd, ce.Code)
}

// Bytes from the network: the reader returns frames or an error, never
// panics, never hangs, and never hands out more than the limit.
func FuzzFrameReader(f *testing.F) {
	f.Add(serverFrame(true, opBinary, []byte("snapshot")))
	f.Add(append(serverFrame(false, opBinary, []byte("a")), serverFrame(true, opContinuation, []byte("b"))...))
	f.Add(serverFrame(true, opClose, []byte{0x03, 0xE8, 'x'}))
	f.Add([]byte{0x82, 126, 0, 200})
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		const limit = 4096
		var fr frameReader
		src := bytes.NewReader(stream)
		for range len(stream) + 1 {
			op, p, err := fr.next(src, limit)
			if err != nil {
				return
			}
			if len(p) > limit {
				t.Fatalf("%d-byte payload over the %d limit", len(p), limit)
			}
			if op == opClose {
				closeFrame(p)
			}
		}
		t.Fatal("more frames than bytes")
	})
}

// A real coder/websocket server's frames, read straight from the socket:
// data, its own pings (answered, or the server's Ping would time out), a
// fragmented message, and a close whose code and reason the client sees.
func TestDirectReadsOfALibraryServer(t *testing.T) {
	t.Parallel()
	pinged := make(chan error, 1)
	fragmented := append(bytes.Repeat([]byte("a"), 9000), bytes.Repeat([]byte("b"), 9000)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		// The server's library reads pongs only while something reads.
		ws.CloseRead(context.Background())
		// Something sent the moment the upgrade is done must not be lost
		// in the HTTP client's buffer.
		ws.Write(ctx, websocket.MessageBinary, []byte("early"))
		go func() {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			pinged <- ws.Ping(pctx)
		}()
		// Writes past the library's buffer go out as fragments.
		wr, _ := ws.Writer(ctx, websocket.MessageBinary)
		wr.Write(fragmented[:9000])
		wr.Write(fragmented[9000:])
		wr.Close()
		ws.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte{9}, 100000))
		<-pingedDone(pinged)
		ws.Close(websocket.StatusCode(4005), "not reading snapshots")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + srv.URL[len("http"):]
	opts, fc := dialOptions(url)
	ws, _, err := websocket.Dial(ctx, url, opts)
	require.NoError(t, err)
	defer ws.CloseNow()
	for _, want := range [][]byte{[]byte("early"), fragmented, bytes.Repeat([]byte{9}, 100000)} {
		typ, msg, err := fc.readMessage(1 << 20)
		require.NoError(t, err)
		require.Equal(t, websocket.MessageBinary, typ)
		require.Equal(t, want, msg)
	}
	_, _, err = fc.readMessage(1 << 20)
	var ce websocket.CloseError
	require.True(t, errors.As(err, &ce), "got %v", err)
	require.Equal(t, websocket.CloseError{Code: 4005, Reason: "not reading snapshots"}, ce)
}

// pingedDone waits for the server's ping to be answered (the client reads
// it among the data) and fails loudly if it was not.
func pingedDone(pinged chan error) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		if err := <-pinged; err != nil {
			panic("the client never answered the server's WebSocket ping: " + err.Error())
		}
		close(done)
	}()
	return done
}
