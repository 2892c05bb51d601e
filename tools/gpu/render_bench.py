#!/usr/bin/env python3
"""Renders the JSON of kernels/bench_scan.cu (corey.kernel-bench/1) as Markdown tables.

usage: render_bench.py BENCH_JSON > OUT_MD
"""
import json
import sys


def us(seconds):
    return f"{seconds * 1e6:.1f}"


def ci_pct(interval):
    return f"[{interval[0]:+.1f}, {interval[1]:+.1f}]" if interval else "—"


def main(path):
    doc = json.load(open(path))
    dev = doc["devices"][0] if doc.get("devices") else {}
    out = []
    out.append("# CUDA `seq` scan on the H200 — kernel benchmark\n")
    out.append(f"- device: {dev.get('name')} ({dev.get('sm_count')} SMs, L2 {dev.get('l2_bytes')} B, "
               f"cc {dev.get('cc')}), driver {doc['cuda']['driver_version']}, runtime {doc['cuda']['runtime']}")
    out.append(f"- corey git sha: {doc['git_sha']} (dirty: {doc['git_dirty']})")
    out.append(f"- method: {doc['method']}")
    out.append("- floors (KERNELS.md §9): HBM 4.28 TB/s over the minimum bytes (read u, δ, z; write out; B/C once), "
               "MUFU 4.18e12 ex2/s (16 per (d,l)), serial chain 2 ns/token; % floor = max(floors) / time\n")

    if "grid" in doc and isinstance(doc["grid"], list):
        out.append("## Grid (`inkernel`, Q = 256, input-dependent B/C, z, D skip, delta bias)\n")
        out.append("| dtype | B | D | L | lanes | CH | time µs (batch) | cold µs | G(d,l)/s | % floor | upstream µs | speed-up | target | oracle max abs err | bitwise vs single |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in doc["grid"]:
            t = r["time"]
            v = r["verify"]
            up = r.get("upstream_us")
            sp = r.get("speedup_vs_upstream")
            tgt = ("met" if r.get("meets_target") else f"missed (need ×{r['target_speedup']:.0f})") if up else ""
            out.append(f"| {r['dtype']} | {r['batch']} | {r['dim']} | {r['seqlen']} | {r.get('lanes', '')} | "
                       f"{r['channels_per_block']} | {us(t['batch_median_s'])} | {us(t['cold_median_s'])} | "
                       f"{r['gdl_per_s']:.1f} | {r['pct_floor']:.1f} | {up if up else ''} | "
                       f"{f'×{sp:.2f}' if sp else ''} | {tgt} | {v['max_abs_err']:.2e} | "
                       f"{'equal' if v['bitwise_vs_single_differing_words'] == 0 else 'DIFFERS'} |")
        out.append("")

    if "q" in doc and isinstance(doc["q"], list):
        out.append("## `inkernel` chunk size vs `single` (fp32, B = 1)\n")
        out.append("| D | L | Q | inkernel µs | single µs | overhead % |")
        out.append("|---|---|---|---|---|---|")
        for r in doc["q"]:
            out.append(f"| {r['dim']} | {r['seqlen']} | {r['chunk']} | {us(r['time']['batch_median_s'])} | "
                       f"{us(r['single_time']['batch_median_s'])} | {r['overhead_vs_single_pct']:+.2f} |")
        out.append("")

    if "launch" in doc and isinstance(doc["launch"], list):
        out.append("## `launch` (one launch per chunk, fp32 state ping-pong) and `launch` as a CUDA Graph vs `single`\n")
        out.append("| D | L | Q | launches | single µs | launch µs | overhead % | graph µs | overhead % | graph µs per boundary |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for r in doc["launch"]:
            out.append(f"| {r['dim']} | {r['seqlen']} | {r['chunk']} | {r['launches']} | "
                       f"{us(r['single_time']['batch_median_s'])} | {us(r['launch_time']['batch_median_s'])} | "
                       f"{r['launch_overhead_pct']:+.1f} | {us(r['graph_time']['batch_median_s'])} | "
                       f"{r['graph_overhead_pct']:+.1f} | {r['graph_per_boundary_us']:.2f} |")
        out.append("")

    if "table1" in doc and isinstance(doc["table1"], list):
        out.append("## Paper Table-1 setup (B 1, D 1024, time-invariant B/C, no z): `reset` rows next to honest rows\n")
        out.append("| dtype | L | row | mode | Q | launches | time µs (batch) | cold µs |")
        out.append("|---|---|---|---|---|---|---|---|")
        notes = []
        for r in doc["table1"]:
            if "time" not in r:
                notes.append(f"- {r['dtype']} L={r['seqlen']}: {r['row']}: {r['differing_words']} output words differ "
                             f"(recurrence_preserving = {r['chunk_report']['recurrence_preserving']})")
                continue
            out.append(f"| {r['dtype']} | {r['seqlen']} | {r['row']} | {r['mode']} | {r['chunk']} | {r['launches']} | "
                       f"{us(r['time']['batch_median_s'])} | {us(r['time']['cold_median_s'])} |")
        out.append("")
        out.extend(notes)
        out.append("")

    if "stats" in doc and isinstance(doc["stats"], list):
        out.append("## Device statistics + chunk choice ahead of the scan (D = 2048, L = 4096, Q read from device memory)\n")
        out.append("| dtype | estimator | stride | samples | path | scan launch | scan µs | stats µs | stats + scan µs | "
                   "overhead % | overhead 95 % CI | cold overhead % |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in doc["stats"]:
            out.append(f"| {r['dtype']} | {r['estimator']} | {r['stride']} | {r.get('samples', '')} | "
                       f"{r.get('path', 'grid')} | {r.get('scan_launch', 'after')} | {us(r['scan_time']['batch_median_s'])} | "
                       f"{us(r['stats_time']['batch_median_s'])} | {us(r['stats_then_scan_time']['batch_median_s'])} | "
                       f"{r['overhead_pct']:+.1f} | {ci_pct(r.get('overhead_ci_pct'))} | "
                       f"{r['overhead_cold_pct']:+.1f} |")
        out.append("")
        out.append("- path: grid = two launches over the whole grid with last-block reductions; cluster = one launch of "
                   "one thread-block cluster (samples ≤ 32768); blocks of the scan's launch = up to four extra blocks "
                   "of the scan's own grid on the SMs it leaves idle (launch_seq_scan_routed). scan launch: after = "
                   "the scan starts when the statistic has finished; programmatic = launched as its programmatic "
                   "dependent, staging its first tile while the statistic runs and reading Q after "
                   "griddepcontrol.wait; in the scan's launch = one launch whose statistic blocks report Q and the "
                   "chunks, the scan blocks never reading it. stats µs is the same statistic as its own launch (cluster path). Samples 1: the "
                   "statistic over one value, the cost of the launches alone. overhead: each row timed interleaved "
                   "with the scan alone (15 rounds, order alternating), ratio of medians − 1, its CI a percentile "
                   "bootstrap paired by round")
        out.append("")

    if "ch" in doc and isinstance(doc["ch"], list):
        out.append("## Channels per block / lanes sweep (`inkernel`, Q = 256)\n")
        out.append("| dtype | B | D | L | lanes | CH | blocks | time µs | heuristic |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in doc["ch"]:
            out.append(f"| {r['dtype']} | {r['batch']} | {r['dim']} | {r['seqlen']} | {r.get('lanes', '')} | "
                       f"{r['channels_per_block']} | {r['blocks']} | {us(r['time']['batch_median_s'])} | "
                       f"{'←' if r['heuristic_choice'] else ''} |")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
