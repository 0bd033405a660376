package procstat

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBusyCoresFromProcStat(t *testing.T) {
	t.Parallel()
	before, err := parseProcStat([]byte("cpu  300 0 300 1400 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\ncpu1 200 0 200 600 0 0 0 0 0 0\nintr 1 2\n"))
	require.NoError(t, err)
	// Over 100 ticks per CPU: cpu0 busy 50 (10 of them softirq), cpu1 busy 100.
	after, err := parseProcStat([]byte("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 130 0 110 850 0 5 5 0 0 0\ncpu1 280 0 220 600 0 0 0 0 0 0\n"))
	require.NoError(t, err)

	busy, soft := BusyCores(before, after, nil)
	assert.InDelta(t, 1.5, busy, 1e-9)
	assert.InDelta(t, 0.1, soft, 1e-9)
	busy, _ = BusyCores(before, after, []int{1})
	assert.InDelta(t, 1.0, busy, 1e-9)

	_, err = parseProcStat([]byte("intr 1\n"))
	assert.ErrorIs(t, err, ErrFormat)
	_, err = parseProcStat([]byte("cpu0 1 2 3 x 5 6 7 8\n"))
	assert.ErrorIs(t, err, ErrFormat)
}

func TestReadMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	t.Parallel()
	m, err := ReadMachine()
	require.NoError(t, err)
	assert.Len(t, m.CPUs, runtime.NumCPU())
}
