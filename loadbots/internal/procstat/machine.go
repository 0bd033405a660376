package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CPUTimes are one CPU's (or the machine's) counters from /proc/stat, in
// clock ticks.
type CPUTimes struct {
	Busy    int64 // user, nice, system, irq, softirq, steal
	SoftIRQ int64 // irq and softirq: kernel network work charged to no process
	Total   int64 // Busy plus idle and iowait
}

// Machine is one reading of /proc/stat: every CPU by number.
type Machine struct {
	CPUs map[int]CPUTimes
}

// ReadMachine reads /proc/stat.
func ReadMachine() (Machine, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Machine{}, err
	}
	return parseProcStat(b)
}

func parseProcStat(b []byte) (Machine, error) {
	m := Machine{CPUs: map[int]CPUTimes{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		var v [8]int64
		for i := range v {
			v[i], err = strconv.ParseInt(f[i+1], 10, 64)
			if err != nil || v[i] < 0 {
				return Machine{}, fmt.Errorf("%w: /proc/stat %s", ErrFormat, f[0])
			}
		}
		// user nice system idle iowait irq softirq steal
		busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		m.CPUs[n] = CPUTimes{Busy: busy, SoftIRQ: v[5] + v[6], Total: busy + v[3] + v[4]}
	}
	if len(m.CPUs) == 0 {
		return Machine{}, fmt.Errorf("%w: no cpuN lines in /proc/stat", ErrFormat)
	}
	return m, nil
}

// BusyCores returns, over the time from before to after, how many of the
// CPUs' capacity was busy (0..number of CPUs) and how much of it was irq
// and softirq. cpus selects CPUs by number; nil means all.
func BusyCores(before, after Machine, cpus []int) (busy, softirq float64) {
	for n, a := range after.CPUs {
		if cpus != nil && !contains(cpus, n) {
			continue
		}
		b, ok := before.CPUs[n]
		if !ok || a.Total <= b.Total {
			continue
		}
		total := float64(a.Total - b.Total)
		busy += float64(a.Busy-b.Busy) / total
		softirq += float64(a.SoftIRQ-b.SoftIRQ) / total
	}
	return busy, softirq
}

func contains(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
