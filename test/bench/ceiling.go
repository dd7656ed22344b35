package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"
)

// ceilingVariant is one way of asking the same questions: with or without
// prometheus in the server block, with or without an OPT record.
type ceilingVariant struct {
	prometheus, edns bool
}

func (v ceilingVariant) String() string {
	s := "prometheus"
	if !v.prometheus {
		s = "no prometheus"
	}
	if v.edns {
		return s + ", EDNS"
	}
	return s + ", no EDNS"
}

var ceilingVariants = []ceilingVariant{{true, true}, {true, false}, {false, true}, {false, false}}

// ceilingRuns are one variant's saturated runs of ours and of the replay.
type ceilingRuns struct {
	variant      ceilingVariant
	ours, replay []perfRun
}

// runCeiling captures ours's answers to every question of the query file,
// starts the replay servers (with and without prometheus) and ours again
// without prometheus, and alternates ours and the replay at saturation for
// each variant. It must run before anything changes the data, or ours and
// the replay would no longer serve the same bytes.
func runCeiling(ctx context.Context, cfg *config, bed *testbed.Bed, set *clusterSet, queryFile, work string, cpus cpuPlan, res *results, logf func(string, ...any)) error {
	ours := res.server(kindOurs)
	path := filepath.Join(work, "capture.bin")
	n, err := capture(ctx, ours, queryFile, path)
	if err != nil {
		return fmt.Errorf("capturing ours's answers: %w", err)
	}
	logf("ceiling: captured %d answers of ours (each question with and without EDNS)", n)
	extra := map[string]*server{kindOurs: ours}
	defer func() {
		for kind, s := range extra {
			if kind != kindOurs && s.proc != nil {
				s.proc.Kill(5 * time.Second)
			}
			if kind != kindOurs && s.proxy != nil {
				s.proxy.close()
			}
		}
	}()
	for _, kind := range []string{kindOursBare, kindReplay, kindReplayBare} {
		s, err := startServer(ctx, cfg, bed, set, work, cpus, kind, path, logf)
		if s != nil {
			extra[kind] = s
		}
		if err != nil {
			return err
		}
	}
	for _, v := range ceilingVariants {
		oursKind, replayKind := kindOurs, kindReplay
		if !v.prometheus {
			oursKind, replayKind = kindOursBare, kindReplayBare
		}
		runs := ceilingRuns{variant: v}
		for round := 1; round <= cfg.rounds; round++ {
			for _, kind := range []string{oursKind, replayKind} {
				run, _, err := runDnsperf(ctx, extra[kind], cpus.load, dnsperfOpts{file: queryFile, duration: cfg.duration, clients: cfg.clients, outstanding: cfg.outstanding, noEDNS: !v.edns})
				if err != nil {
					return fmt.Errorf("%s (%s): %w", kind, v, err)
				}
				if kind == oursKind {
					runs.ours = append(runs.ours, run)
				} else {
					runs.replay = append(runs.replay, run)
				}
				logf("ceiling %s round %d/%d %-11s %8.0f qps, server CPU %3.0f%% (%.1f us/query), lost %d/%d, %s",
					v, round, cfg.rounds, kind, run.qps, 100*run.cpu, run.usPerQuery(), run.lost, run.sent, run.rcodes)
			}
		}
		res.ceiling = append(res.ceiling, runs)
	}
	return nil
}
