package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// Linux has fixed it at 100 on every architecture for user space, whatever
// the kernel's internal HZ (sysconf(_SC_CLK_TCK) needs cgo to ask).
const clockTicks = 100

// ErrFormat means a /proc file did not look as expected.
var ErrFormat = errors.New("procstat: unexpected /proc format")

// SelfCPU returns the user+system CPU time this process has used.
func SelfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// Process is one reading of a process's counters.
type Process struct {
	CPU      time.Duration // user+system, 10 ms resolution
	RSSBytes int64         // VmRSS
}

// Read reads pid's CPU time and resident memory from /proc.
func Read(pid int) (Process, error) {
	return read("/proc", pid)
}

func read(procRoot string, pid int) (Process, error) {
	dir := fmt.Sprintf("%s/%d", procRoot, pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return Process{}, err
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return Process{}, err
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return Process{}, err
	}
	rss, err := parseStatusRSS(status)
	if err != nil {
		return Process{}, err
	}
	return Process{CPU: cpu, RSSBytes: rss}, nil
}

// parseStatCPU returns utime+stime (fields 14 and 15) of a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may itself hold
// spaces and parentheses, so fields are counted after the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: no ')' in stat", ErrFormat)
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: stat has %d fields", ErrFormat, len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || utime < 0 || stime < 0 {
		return 0, fmt.Errorf("%w: utime %q stime %q", ErrFormat, f[11], f[12])
	}
	return time.Duration(utime+stime) * (time.Second / clockTicks), nil
}

// parseStatusRSS returns VmRSS from /proc/<pid>/status, in bytes.
func parseStatusRSS(status []byte) (int64, error) {
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%w: VmRSS line %q", ErrFormat, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("%w: VmRSS line %q", ErrFormat, line)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("%w: no VmRSS (a kernel thread or a zombie?)", ErrFormat)
}
