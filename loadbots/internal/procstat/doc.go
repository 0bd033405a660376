// Package procstat reads CPU time and resident memory of processes on
// Linux: of loadbots itself (getrusage, microsecond resolution) and of a
// server given by pid (/proc/<pid>/stat and /proc/<pid>/status), the same
// way the reference harnesses in ../shared/peers measure, so figures from
// loadbots and from them compare directly.
//
// CPU over a window is Δ(user+system time) / Δ(wall time), in cores. Kernel
// network work done in softirq is charged to no process on this kernel, on
// either side of a loopback connection; the figures exclude it as the
// peers' do.
package procstat
