// Package promtext reads the parts of the Prometheus text exposition format
// that loadbots needs from a server's /metrics: samples with labels,
// histograms as their cumulative `_bucket` series, and quantiles estimated
// from them the way PromQL's histogram_quantile does.
//
// It is deliberately small rather than the full client_model/expfmt stack:
// loadbots scrapes twice per run, reads three metric families, and must keep
// working when a server adds families it has never heard of. The input comes
// over the network, so Parse never panics: a malformed line is an error
// naming the line, and a fuzz test holds it to that.
//
// Entry points: Parse, Scrape, Metrics.Value, Metrics.Sum,
// Metrics.Histogram and Quantile.
package promtext
