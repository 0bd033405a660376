package promtext

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxBody bounds how much of a /metrics answer Scrape reads.
const maxBody = 16 << 20

// maxLine bounds one line; a longer one is malformed.
const maxLine = 1 << 20

// ErrSyntax wraps every parse error.
var ErrSyntax = errors.New("promtext: syntax error")

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// Sample is one line of the exposition: a series and its value.
type Sample struct {
	Name   string
	Labels []Label // in the order they appeared
	Value  float64
}

// Label returns the value of the label called name, and whether it is set.
func (s *Sample) Label(name string) (string, bool) {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}

// Metrics is a parsed exposition.
type Metrics struct {
	Samples []Sample
}

// Scrape fetches url and parses the answer.
func Scrape(ctx context.Context, client *http.Client, url string) (*Metrics, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// Ask for the text format: client_golang answers anything else with it
	// too, but a proxy in between may not.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("promtext: GET %s: %s", url, resp.Status)
	}
	return Parse(io.LimitReader(resp.Body, maxBody))
}

// Parse reads the text exposition format. Comment lines (# HELP, # TYPE and
// others) and blank lines are skipped; timestamps after the value are
// accepted and ignored.
func Parse(r io.Reader) (*Metrics, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	m := &Metrics{}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrSyntax, lineNo, err)
		}
		m.Samples = append(m.Samples, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrSyntax, lineNo+1, err)
	}
	return m, nil
}

// parseSample parses `name{l="v",...} value [timestamp]`.
func parseSample(line string) (Sample, error) {
	var s Sample
	i := 0
	for i < len(line) && isNameChar(line[i], i == 0) {
		i++
	}
	if i == 0 {
		return s, fmt.Errorf("no metric name in %q", clip(line))
	}
	s.Name = line[:i]
	rest := line[i:]
	if strings.HasPrefix(rest, "{") {
		labels, after, err := parseLabels(rest[1:])
		if err != nil {
			return s, err
		}
		s.Labels, rest = labels, after
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("want a value (and optional timestamp) after %s, got %q", s.Name, clip(rest))
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	s.Value = v
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("bad timestamp %q", clip(fields[1]))
		}
	}
	return s, nil
}

// parseLabels parses the inside of {...} and returns what follows '}'.
func parseLabels(s string) ([]Label, string, error) {
	var labels []Label
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		i := 0
		for i < len(s) && isNameChar(s[i], i == 0) && s[i] != ':' {
			i++
		}
		if i == 0 {
			return nil, "", fmt.Errorf("bad label name at %q", clip(s))
		}
		name := s[:i]
		s = strings.TrimLeft(s[i:], " \t")
		if !strings.HasPrefix(s, "=") {
			return nil, "", fmt.Errorf("want = after label %s", name)
		}
		s = strings.TrimLeft(s[1:], " \t")
		if !strings.HasPrefix(s, `"`) {
			return nil, "", fmt.Errorf("want a quoted value for label %s", name)
		}
		value, after, err := unquote(s[1:])
		if err != nil {
			return nil, "", fmt.Errorf("label %s: %v", name, err)
		}
		labels = append(labels, Label{Name: name, Value: value})
		s = strings.TrimLeft(after, " \t")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "}"):
		default:
			return nil, "", fmt.Errorf("want , or } after label %s", name)
		}
	}
}

// unquote reads a label value up to its closing quote; the format escapes
// only backslash, double quote and newline.
func unquote(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return "", "", errors.New("unterminated escape")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case '\\', '"':
				b.WriteByte(s[i])
			default:
				return "", "", fmt.Errorf("unknown escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated label value")
}

func parseValue(f string) (float64, error) {
	switch f {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", clip(f))
	}
	return v, nil
}

func isNameChar(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Value returns the value of the first sample called name whose labels
// include every name/value pair in labels (given as alternating strings).
func (m *Metrics) Value(name string, labels ...string) (float64, bool) {
	for i := range m.Samples {
		if m.Samples[i].Name == name && hasLabels(&m.Samples[i], labels) {
			return m.Samples[i].Value, true
		}
	}
	return 0, false
}

// Sum adds every sample called name (all label sets), and says whether
// there was any.
func (m *Metrics) Sum(name string) (float64, bool) {
	var sum float64
	found := false
	for i := range m.Samples {
		if m.Samples[i].Name == name {
			sum += m.Samples[i].Value
			found = true
		}
	}
	return sum, found
}

func hasLabels(s *Sample, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v, ok := s.Label(pairs[i]); !ok || v != pairs[i+1] {
			return false
		}
	}
	return true
}

// Bucket is one cumulative histogram bucket: Count observations were at most
// UpperBound.
type Bucket struct {
	UpperBound float64
	Count      float64
}

// Histogram returns the cumulative buckets of the histogram family name (its
// name_bucket series, summed over any other labels), sorted by bound, the
// last one +Inf. It reports false when the family is absent or has no +Inf
// bucket.
func (m *Metrics) Histogram(name string) ([]Bucket, bool) {
	byBound := map[float64]float64{}
	for i := range m.Samples {
		s := &m.Samples[i]
		if s.Name != name+"_bucket" {
			continue
		}
		le, ok := s.Label("le")
		if !ok {
			continue
		}
		b, err := parseValue(le)
		if err != nil || math.IsNaN(b) {
			continue
		}
		byBound[b] += s.Value
	}
	if _, ok := byBound[math.Inf(1)]; !ok {
		return nil, false
	}
	out := make([]Bucket, 0, len(byBound))
	for b, c := range byBound {
		out = append(out, Bucket{UpperBound: b, Count: c})
	}
	slices.SortFunc(out, func(a, b Bucket) int {
		switch {
		case a.UpperBound < b.UpperBound:
			return -1
		case a.UpperBound > b.UpperBound:
			return 1
		}
		return 0
	})
	return out, true
}

// SubBuckets returns the observations made between two scrapes of the same
// histogram (after minus before, bucket by bucket). Buckets are matched by
// bound; a bound missing from before counts from zero.
func SubBuckets(after, before []Bucket) []Bucket {
	out := make([]Bucket, len(after))
	for i, b := range after {
		out[i] = b
		for _, o := range before {
			if o.UpperBound == b.UpperBound {
				out[i].Count = max(b.Count-o.Count, 0)
				break
			}
		}
	}
	return out
}

// Quantile estimates quantile q (0..1) from cumulative buckets as PromQL's
// histogram_quantile does: it finds the bucket holding the rank and
// interpolates linearly inside it (from 0 for the first bucket); a rank in
// the +Inf bucket answers the largest finite bound. It returns NaN when
// there are no observations.
func Quantile(q float64, buckets []Bucket) float64 {
	if len(buckets) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	total := buckets[len(buckets)-1].Count
	if !(total > 0) {
		return math.NaN()
	}
	q = min(max(q, 0), 1)
	rank := q * total
	prevBound, prevCount := 0.0, 0.0
	for i, b := range buckets {
		if b.Count >= rank && b.Count > prevCount {
			if math.IsInf(b.UpperBound, 1) {
				if i == 0 {
					return math.NaN()
				}
				return buckets[i-1].UpperBound
			}
			if i == 0 && b.UpperBound <= 0 {
				return b.UpperBound
			}
			return prevBound + (b.UpperBound-prevBound)*(rank-prevCount)/(b.Count-prevCount)
		}
		prevBound, prevCount = b.UpperBound, b.Count
	}
	return prevBound
}
