// Package histogram is a small HDR-style histogram for the load generator:
// log-linear buckets (32 per power of two, so any recorded value is known to
// within about 3 %), lock-free recording from many goroutines, and
// percentiles over any window by subtracting two snapshots.
//
// loadbots records tens of thousands of samples a second (one per snapshot
// per bot) into a handful of shared histograms; a mutex or a per-bot
// histogram would cost either contention or tens of megabytes, and keeping
// raw samples would grow without bound. A fixed array of atomic counters
// costs one atomic add per sample and about 10 KB per histogram.
//
// Entry points: New, (*Histogram).Record, (*Histogram).Snapshot,
// Snapshot.Sub and Snapshot.Quantile.
package histogram
