package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"
)

// accuracyReport is the result of the accuracy scenario. The fields up to
// PredictionCorrectionsP99 are the ones issue 4 lists for -json, with its
// names; they come from the run with lag compensation on, except the
// hit rate without it. The rest are extras.
type accuracyReport struct {
	Scenario                 string   `json:"scenario"`
	RTTInjectedMs            float64  `json:"rtt_injected_ms"`
	JitterInjectedMs         float64  `json:"jitter_injected_ms"`
	Shots                    int      `json:"shots"`
	HitRate                  *float64 `json:"hit_rate"`
	HitRateWithoutLagComp    *float64 `json:"hit_rate_without_lag_compensation"`
	RTTEstimateMs            *float64 `json:"rtt_estimate_ms"`
	PredictionCorrectionsP99 *float64 `json:"prediction_corrections_p99"`

	// Extras.
	Pairs       int               `json:"pairs"`
	URL         string            `json:"url"`
	Params      string            `json:"params"`
	StartedAt   string            `json:"started_at"`
	WarmupS     float64           `json:"warmup_s"`
	DurationS   float64           `json:"duration_s"`
	Targets     accuracyTargets   `json:"targets"`
	Runs        []accuracyRun     `json:"runs"`
	Definitions map[string]string `json:"definitions"`
	Warnings    []string          `json:"warnings,omitempty"`
}

// accuracyTargets says which of issue 4's targets the run met.
type accuracyTargets struct {
	HitRateAtLeast95         bool `json:"hit_rate_at_least_0_95"`
	AboveWithoutLagComp      bool `json:"hit_rate_clearly_above_without_lag_compensation"`
	RTTEstimateWithin10Pct   bool `json:"rtt_estimate_within_10_percent"`
	CorrectionsZero99Percent bool `json:"corrections_zero_in_99_percent_of_snapshots"`
}

// accuracyRun is one run of the scenario, lag compensation on or off.
type accuracyRun struct {
	LagComp string `json:"lagcomp"`
	Pairs   int    `json:"pairs"`
	// Fired counts trigger pulls in the window; OnTarget those whose ray
	// met the target as the shooter drew it; Hits those of OnTarget the
	// server confirmed as hits on that target.
	Fired    int      `json:"fired"`
	OnTarget int      `json:"on_target_in_view"`
	Hits     int      `json:"hits"`
	HitRate  *float64 `json:"hit_rate"`
	// OffTargetHits are hits of pulls that were off target in the view.
	OffTargetHits int `json:"off_target_hits"`
	// Unconfirmed are pulls the server made no shot of; StrayShots are
	// shot entities matched to no pull.
	Unconfirmed int `json:"unconfirmed"`
	StrayShots  int `json:"stray_shots"`
	// ViewErrorUnits is, per on-target pull, the distance in world units
	// between the target as drawn and where the server tested it.
	ViewErrorUnits pct3 `json:"view_error_units"`
	// ViewErrorOver1Unit counts those on-target pulls whose error was
	// over one world unit (the rest are quantization).
	ViewErrorOver1Unit int `json:"view_error_over_1_unit"`
	// Of those, how many matched the target as drawn a tick earlier or a
	// tick later than claimed: the server judged at another time.
	ViewTickEarlier int `json:"view_tick_earlier"`
	ViewTickLater   int `json:"view_tick_later"`
	// NextFrameMs* are how soon after the pull the next input frame left,
	// for pulls judged exactly at the claim and for those judged later: a
	// server that kept only the newest frame's claim let a closely
	// following frame overwrite the shot's (this figure found it; each
	// input now keeps its own claim).
	NextFrameMsExact pct3 `json:"next_frame_ms_exact"`
	NextFrameMsLater pct3 `json:"next_frame_ms_later"`
	// ViewAgeMs is how far behind the estimated server clock the shooters
	// drew (half the RTT plus the interpolation delay), mean.
	ViewAgeMs     *float64 `json:"view_age_ms"`
	RTTEstimateMs *float64 `json:"rtt_estimate_ms"`
	// InputLeadMs is how early the shooters' inputs reached the server
	// before their tick (the headers' smoothed figure), mean.
	InputLeadMs        *float64     `json:"input_lead_ms"`
	Snapshots          uint64       `json:"snapshots"`
	SnapshotsCorrected uint64       `json:"snapshots_corrected"`
	CorrectionP99      *float64     `json:"prediction_corrections_p99"`
	CorrectionMax      *float64     `json:"prediction_corrections_max"`
	JoinFailures       int          `json:"join_failures"`
	Errors             []errorCount `json:"errors,omitempty"`
}

var accuracyDefinitions = map[string]string{
	"shots": "trigger pulls in the lag-compensated run's window that were on target in the shooter's view: " +
		"the aim ray from the predicted shooter met the hit circle of the target as the shooter drew it " +
		"(interpolated at the client's receive-time estimate less the interpolation delay), in the arena's integer geometry",
	"hit_rate": "server-confirmed hits (shot entities whose target is the target's entity, matched to the pull by aim, " +
		"origin and order) over shots",
	"hit_rate_without_lag_compensation": "the same, in the run with the room parameter lagcomp=off",
	"rtt_estimate_ms":                   "the server's smoothed RTT from the snapshot headers, mean over the window per shooter, then over shooters",
	"prediction_corrections_p99": "p99 over the shooters' snapshots in the window of the own-player correction " +
		"(netcode Stats.LastCorrection, sim units): zero and non-zero snapshots counted exactly, sizes sampled",
}

// summarize fills the top-level figures from the runs and checks targets.
func (r *accuracyReport) summarize(cfg config) {
	var on, off *accuracyRun
	for i := range r.Runs {
		switch r.Runs[i].LagComp {
		case "on":
			on = &r.Runs[i]
		case "off":
			off = &r.Runs[i]
		}
	}
	if on != nil {
		r.Shots = on.OnTarget
		r.HitRate = on.HitRate
		r.RTTEstimateMs = on.RTTEstimateMs
		r.PredictionCorrectionsP99 = on.CorrectionP99
		if on.Snapshots > 0 {
			r.Targets.CorrectionsZero99Percent = float64(on.SnapshotsCorrected) <= 0.01*float64(on.Snapshots)
		}
		if on.Unconfirmed > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d of %d trigger pulls made no shot (late input or cooldown)", on.Unconfirmed, on.Fired))
		}
	}
	if off != nil {
		r.HitRateWithoutLagComp = off.HitRate
	}
	if r.HitRate != nil {
		r.Targets.HitRateAtLeast95 = *r.HitRate >= 0.95
		if r.HitRateWithoutLagComp != nil {
			// "Clearly above": at least ten points better.
			r.Targets.AboveWithoutLagComp = *r.HitRate >= *r.HitRateWithoutLagComp+0.1
		}
	}
	if r.RTTEstimateMs != nil && cfg.RTT > 0 {
		r.Targets.RTTEstimateWithin10Pct = math.Abs(*r.RTTEstimateMs-r.RTTInjectedMs) <= 0.1*r.RTTInjectedMs
	}
	if r.Shots < 30 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("only %d shots: the hit rate is a rough figure", r.Shots))
	}
}

// writeTable prints the report as a text table.
func (r *accuracyReport) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, value string) { fmt.Fprintf(tw, "%s\t%s\n", name, value) }
	yes := func(b bool) string {
		if b {
			return "met"
		}
		return "MISSED"
	}
	row("scenario", fmt.Sprintf("accuracy (%s)", r.Params))
	row("injected rtt / jitter", fmt.Sprintf("%.0f ms / %.0f ms", r.RTTInjectedMs, r.JitterInjectedMs))
	row("pairs, warm-up, window", fmt.Sprintf("%d, %.0f s, %.0f s (each run)", r.Pairs, r.WarmupS, r.DurationS))
	row("shots on target in view", fmt.Sprint(r.Shots))
	row("hit rate (target ≥ 0.95)", f(r.HitRate)+"  "+yes(r.Targets.HitRateAtLeast95))
	row("hit rate without lag compensation", f(r.HitRateWithoutLagComp)+"  "+yes(r.Targets.AboveWithoutLagComp))
	row("server rtt estimate ms (within 10%)", f(r.RTTEstimateMs)+"  "+yes(r.Targets.RTTEstimateWithin10Pct))
	row("prediction correction p99 (0 in ≥99%)", f(r.PredictionCorrectionsP99)+"  "+yes(r.Targets.CorrectionsZero99Percent))
	for _, run := range r.Runs {
		row("lagcomp="+run.LagComp, fmt.Sprintf("fired %d, on target %d, hits %d (off-target hits %d), unconfirmed %d, stray %d",
			run.Fired, run.OnTarget, run.Hits, run.OffTargetHits, run.Unconfirmed, run.StrayShots))
		row("  view error units p50/p95/p99", fmt.Sprintf("%s (over 1 unit: %d; nearer a tick earlier %d, later %d)",
			triple(run.ViewErrorUnits), run.ViewErrorOver1Unit, run.ViewTickEarlier, run.ViewTickLater))
		row("  next frame after pull ms p50/p95/p99", fmt.Sprintf("judged at the claim %s; judged later %s",
			triple(run.NextFrameMsExact), triple(run.NextFrameMsLater)))
		row("  view age, rtt estimate, input lead ms", f(run.ViewAgeMs)+", "+f(run.RTTEstimateMs)+", "+f(run.InputLeadMs))
		row("  snapshots corrected / total", fmt.Sprintf("%d / %d (max %s)", run.SnapshotsCorrected, run.Snapshots, f(run.CorrectionMax)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, run := range r.Runs {
		for _, e := range run.Errors {
			fmt.Fprintf(w, "error (lagcomp=%s) x%d: %s\n", run.LagComp, e.Count, e.Error)
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
	return nil
}

// writeJSONFile writes v as indented JSON to path.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
