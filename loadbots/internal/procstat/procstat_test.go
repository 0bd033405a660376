package procstat

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	// A command name with spaces and a ')' must not shift the fields.
	stat := "4242 (tick (wire) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 7 0 100 1000000 500 18446744073709551615\n"
	cpu, err := parseStatCPU([]byte(stat))
	require.NoError(t, err)
	assert.Equal(t, 3250*time.Millisecond, cpu) // (250+75) ticks of 10 ms

	for _, bad := range []string{"", "1 (x S 1 2", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b"} {
		_, err := parseStatCPU([]byte(bad))
		assert.ErrorIs(t, err, ErrFormat, "%q", bad)
	}
}

func TestParseStatusRSS(t *testing.T) {
	t.Parallel()
	rss, err := parseStatusRSS([]byte("Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t   51200 kB\nThreads:\t3\n"))
	require.NoError(t, err)
	assert.Equal(t, int64(51200*1024), rss)

	_, err = parseStatusRSS([]byte("Name:\tkworker\n"))
	assert.ErrorIs(t, err, ErrFormat)
	_, err = parseStatusRSS([]byte("VmRSS:\t12 MB\n"))
	assert.ErrorIs(t, err, ErrFormat)
}

func TestReadFromFakeProc(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "7")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stat"), []byte("7 (srv) S 1 1 1 0 -1 0 0 0 0 0 100 100 0 0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "status"), []byte("VmRSS:\t1024 kB\n"), 0o644))
	p, err := read(root, 7)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, p.CPU)
	assert.Equal(t, int64(1<<20), p.RSSBytes)

	_, err = read(root, 8)
	assert.Error(t, err)
}

func TestReadSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	t.Parallel()
	p, err := Read(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, p.RSSBytes)
	_, err = Read(-1)
	assert.Error(t, err)
}

func TestSelfCPUGrowsWithWork(t *testing.T) {
	t.Parallel()
	before, err := SelfCPU()
	require.NoError(t, err)
	x := uint64(1)
	for deadline := time.Now().Add(30 * time.Millisecond); time.Now().Before(deadline); {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	after, err := SelfCPU()
	require.NoError(t, err)
	assert.Greater(t, after, before, "spun %d", x)
}
