package promtext

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exposition is what client_golang writes for a server like tickwire's.
const exposition = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 5.24288e+07
# TYPE tickwire_kicks_total counter
tickwire_kicks_total{status="1008"} 3
tickwire_kicks_total{status="4000"} 2
# TYPE tickwire_messages_rejected_total counter
tickwire_messages_rejected_total{reason="bad \"frame\"\\x\n"} 1
# TYPE tickwire_tick_duration_seconds histogram
tickwire_tick_duration_seconds_bucket{le="0.0001"} 10
tickwire_tick_duration_seconds_bucket{le="0.0002"} 60
tickwire_tick_duration_seconds_bucket{le="0.0004"} 90
tickwire_tick_duration_seconds_bucket{le="0.0008"} 100
tickwire_tick_duration_seconds_bucket{le="+Inf"} 100
tickwire_tick_duration_seconds_sum 0.021
tickwire_tick_duration_seconds_count 100
go_gc_duration_seconds{quantile="0.5"} 1e-05 1700000000000
`

func TestParseExposition(t *testing.T) {
	t.Parallel()
	m, err := Parse(strings.NewReader(exposition))
	require.NoError(t, err)

	v, ok := m.Value("process_cpu_seconds_total")
	require.True(t, ok)
	assert.Equal(t, 12.5, v)
	v, ok = m.Value("process_resident_memory_bytes")
	require.True(t, ok)
	assert.Equal(t, 52428800.0, v)

	v, ok = m.Value("tickwire_kicks_total", "status", "4000")
	require.True(t, ok)
	assert.Equal(t, 2.0, v)
	sum, ok := m.Sum("tickwire_kicks_total")
	require.True(t, ok)
	assert.Equal(t, 5.0, sum)

	v, ok = m.Value("tickwire_messages_rejected_total", "reason", "bad \"frame\"\\x\n")
	require.True(t, ok, "escapes in label values are undone")
	assert.Equal(t, 1.0, v)

	v, ok = m.Value("go_gc_duration_seconds", "quantile", "0.5")
	require.True(t, ok, "a trailing timestamp is accepted")
	assert.Equal(t, 1e-5, v)

	_, ok = m.Value("absent_metric")
	assert.False(t, ok)
	_, ok = m.Value("tickwire_kicks_total", "status", "1")
	assert.False(t, ok)
}

func TestHistogramQuantile(t *testing.T) {
	t.Parallel()
	m, err := Parse(strings.NewReader(exposition))
	require.NoError(t, err)
	b, ok := m.Histogram("tickwire_tick_duration_seconds")
	require.True(t, ok)
	require.Len(t, b, 5)
	assert.True(t, math.IsInf(b[4].UpperBound, 1))

	// Rank 50 of 100 lies in (0.0001, 0.0002], 40 of its 50: 0.00018.
	assert.InDelta(t, 0.00018, Quantile(0.5, b), 1e-12)
	// Rank 99 lies in (0.0004, 0.0008], 9 of its 10.
	assert.InDelta(t, 0.00076, Quantile(0.99, b), 1e-12)
	// Rank 5 lies in the first bucket, interpolated from 0.
	assert.InDelta(t, 0.00005, Quantile(0.05, b), 1e-12)

	_, ok = m.Histogram("process_cpu_seconds_total")
	assert.False(t, ok)
}

func TestQuantileEdges(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	assert.True(t, math.IsNaN(Quantile(0.5, nil)))
	assert.True(t, math.IsNaN(Quantile(0.5, []Bucket{{1, 0}, {inf, 0}})), "no observations")
	// Everything above the last finite bound answers that bound.
	assert.Equal(t, 2.0, Quantile(0.99, []Bucket{{1, 0}, {2, 1}, {inf, 10}}))
}

func TestSubBucketsIsTheWindow(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	before := []Bucket{{0.001, 100}, {0.002, 100}, {inf, 100}}
	after := []Bucket{{0.001, 100}, {0.002, 150}, {inf, 150}}
	w := SubBuckets(after, before)
	assert.Equal(t, []Bucket{{0.001, 0}, {0.002, 50}, {inf, 50}}, w)
	// All 50 new observations lie in (0.001, 0.002]: the median is mid-way.
	assert.InDelta(t, 0.0015, Quantile(0.5, w), 1e-12)
}

func TestParseRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		`{le="1"} 3`,
		`name`,
		`name{le="1" 3`,
		`name{le=1} 3`,
		`name{le="1} 3`,
		`name{="1"} 3`,
		`name{le="\q"} 3`,
		`name 1 2 3`,
		`name abc`,
		`name 1 notatime`,
	} {
		_, err := Parse(strings.NewReader(line + "\n"))
		assert.ErrorIs(t, err, ErrSyntax, "%q", line)
	}
}

func TestScrape(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(exposition))
	}))
	defer srv.Close()
	m, err := Scrape(context.Background(), srv.Client(), srv.URL+"/metrics")
	require.NoError(t, err)
	v, ok := m.Value("process_cpu_seconds_total")
	require.True(t, ok)
	assert.Equal(t, 12.5, v)

	_, err = Scrape(context.Background(), srv.Client(), srv.URL+"/nope")
	assert.ErrorContains(t, err, "404")
}

// FuzzParse holds Parse to never panicking on bytes from the network, and
// to answering every histogram it accepts with a sane quantile.
func FuzzParse(f *testing.F) {
	f.Add([]byte(exposition))
	f.Add([]byte("a 1\n"))
	f.Add([]byte(`x_bucket{le="+Inf"} 0` + "\n"))
	f.Add([]byte(`x_bucket{le="1",a="\\"} 1` + "\n" + `x_bucket{le="+Inf"} 2` + "\n"))
	f.Add([]byte("name{le=\"1\" 3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, s := range m.Samples {
			if b, ok := m.Histogram(strings.TrimSuffix(s.Name, "_bucket")); ok {
				Quantile(0.5, b)
				Quantile(0.99, SubBuckets(b, b))
			}
		}
	})
}
