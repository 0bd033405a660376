package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tests that run the real binary share one build of it.
var binary struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// buildBinary builds this command once per test run and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "tickwire-test-bin")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "tickwire")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
	})
	require.NoError(t, binary.err, "%s", binary.out)
	return binary.path
}

// startBinary starts bin with args (and extra environment, if any), waits
// for its "listening" log line and returns the process and its address.
// The rest of its log goes to logs, when not nil. It is killed when the
// test ends.
func startBinary(t *testing.T, bin string, env []string, logs io.Writer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrRE := regexp.MustCompile(`msg=listening addr=(\S+)`)
	lines := bufio.NewScanner(stderr)
	var addr string
	for lines.Scan() {
		if logs != nil {
			fmt.Fprintln(logs, lines.Text())
		}
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	require.NotEmpty(t, addr, "listening line in the log")
	go func() {
		for lines.Scan() {
			if logs != nil {
				fmt.Fprintln(logs, lines.Text())
			}
		}
	}()
	return cmd, addr
}

// lockedBuffer collects a child's output for the test to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
