#!/usr/bin/env bash
# `--devices` speed-up on one multi-GPU host: the same kernel-sweep spec in one process with one device
# (`--devices 0`) and with every visible device (`--devices all`; CUDA_VISIBLE_DEVICES decides which), then
# one JSON in $OUT: wall times, points per worker, the speed-up, whether both runs measured the same points
# with the same verdicts, and the environment from `corey env`. The two results files land beside it.
#
#   tools/gpu/devices_speedup.sh PREBUILT_DIR [SPEC]
#
# PREBUILT_DIR holds corey and lib/ as for tools/gpu/run_specs_on_device.sh; SPEC defaults to
# experiments/perf/devices_speedup.yaml (8 points, well under a minute on one H200).
set -uo pipefail
BIN=$1  # kept relative to the checkout: results record argv, and no machine path belongs in them
SPEC=${2:-experiments/perf/devices_speedup.yaml}
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT" gpu-out
# corey links cuBLAS from the CUDA toolkit; the prebuilt lib/ holds what the GPU image lacks.
export LD_LIBRARY_PATH="$(cd "$BIN" && pwd)/lib:${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log="$OUT/devices_speedup.log"
: > "$log"

"$BIN/corey" env > "$OUT/devices_env.json" 2>> "$log"

run_with() {
  local name=$1 devices=$2
  rm -rf "gpu-out/devices_$name"
  local start end
  start=$(date +%s.%N)
  timeout 280 "$BIN/corey" kernel-sweep "$SPEC" --backend cuda --devices "$devices" --out "gpu-out/devices_$name" \
    --quiet >> "$log" 2>&1
  echo "devices $devices rc=$?" >> "$log"
  end=$(date +%s.%N)
  mkdir -p "gpu-out/devices_$name"
  echo "$start $end" > "gpu-out/devices_$name/process_wall.txt"
  cp "gpu-out/devices_$name/results.json" "$OUT/devices_$name.json" 2>> "$log"
}
run_with one 0
run_with all all

python3 - "$OUT" "$SPEC" >> "$log" 2>&1 <<'PY'
import json, os, sys

out, spec = sys.argv[1], sys.argv[2]
env = json.load(open(os.path.join(out, "devices_env.json")))
TIMING = {"measure", "time_s", "outliers", "throughput", "holdout", "floor", "device", "device_uuid"}


def run(name):
    path = os.path.join(out, f"devices_{name}.json")
    if not os.path.exists(path):
        return None, None
    res = json.load(open(path))
    start, end = map(float, open(f"gpu-out/devices_{name}/process_wall.txt").read().split())
    block = {
        "file": os.path.basename(path),
        "status": res["run"]["status"],
        "devices": res["run"].get("devices"),
        "points": res["summary"]["points"],
        "ok": res["summary"]["ok"],
        "wall_s": res["run"].get("wall_s", res["summary"]["wall_s"]),
        "process_wall_s": end - start,
        "workers": res["run"].get("workers"),
    }
    return block, res


one, one_res = run("one")
everyone, all_res = run("all")
summary = {"schema": "corey.devices-speedup/1", "spec": spec, "one_device": one, "all_devices": everyone, "env": env}
if one and everyone:
    def strip(record):
        kept = {k: v for k, v in record.items() if k not in TIMING}
        for block in kept.get("metrics", {}).values():
            if isinstance(block, dict):
                block.pop("time_s", None)
                block.pop("stats_time_s", None)
        return kept

    summary["devices_used"] = len(everyone["devices"] or [])
    summary["speedup"] = one["wall_s"] / everyone["wall_s"]
    summary["efficiency"] = summary["speedup"] / max(1, summary["devices_used"])
    summary["same_points_and_verdicts"] = [strip(r) for r in one_res["results"]] == [strip(r) for r in all_res["results"]]
    # Each point's kernel median measured next to the other workers over the same point measured alone:
    # how much running devices side by side disturbs the timing itself.
    alone = {r["point_id"]: r["time_s"]["median"] for r in one_res["results"] if r.get("time_s")}
    ratios = sorted(r["time_s"]["median"] / alone[r["point_id"]]
                    for r in all_res["results"] if r.get("time_s") and r["point_id"] in alone)
    if ratios:
        summary["kernel_median_ratio_all_over_one"] = {"median": ratios[len(ratios) // 2], "min": ratios[0],
                                                       "max": ratios[-1], "points": len(ratios)}
json.dump(summary, open(os.path.join(out, "devices_speedup.json"), "w"), indent=2)
print("speedup:", summary.get("speedup"), "on", summary.get("devices_used"), "devices")
PY
echo "summary rc=$?" >> "$log"
cat "$log"
