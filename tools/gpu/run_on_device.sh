#!/usr/bin/env bash
# Builds (or takes prebuilt) GPU binaries, runs the GPU tests, the kernel benchmark and compute-sanitizer
# memcheck + racecheck on small shapes on a CUDA machine; everything lands in $OUT (default ./gpu-out).
#
#   tools/gpu/run_on_device.sh [--prebuilt DIR] [--bench-args "..."] [--skip-bench] [--skip-sanitizer]
#                              [--ncu B,D,L,dtype[,channels]]...   (Nsight Compute on one scan launch each)
#
# Without --prebuilt it configures and builds `build-gpu` (needs the project's Debian dependencies, see the
# top-level CMakeLists.txt). DIR holds test_gpu_scan, test_gpu_stats, test_gpu_scan_math, corey_bench_scan and
# optionally lib/ (e.g. the libstdc++ they were linked against).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
prebuilt=""
bench_args=""
skip_bench=0
skip_sanitizer=0
ncu_shapes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) prebuilt=$2; shift 2 ;;
    --bench-args) bench_args=$2; shift 2 ;;
    --skip-bench) skip_bench=1; shift ;;
    --skip-sanitizer) skip_sanitizer=1; shift ;;
    --ncu) ncu_shapes+=("$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -a)"
  echo "git_sha: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,uuid,pci.bus_id,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.limit,persistence_mode,compute_mode,mig.mode.current,temperature.gpu --format=csv
  nvidia-smi -q -d CLOCK | sed -n '1,60p'
  command -v nvcc >/dev/null && nvcc --version | tail -2
} > "$OUT/env.txt" 2>&1

if [ -n "$prebuilt" ]; then
  BIN=$prebuilt
  [ -d "$BIN/lib" ] && export LD_LIBRARY_PATH="$(cd "$BIN/lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  SCAN=$BIN/test_gpu_scan STATS=$BIN/test_gpu_stats MATH=$BIN/test_gpu_scan_math BENCH=$BIN/corey_bench_scan
else
  cmake -B build-gpu -G Ninja -DCOREY_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 > "$OUT/build.log" 2>&1 &&
    cmake --build build-gpu -j16 >> "$OUT/build.log" 2>&1 || { echo "build failed"; tail -40 "$OUT/build.log"; exit 1; }
  SCAN=build-gpu/tests/gpu/test_gpu_scan STATS=build-gpu/tests/gpu/test_gpu_stats
  MATH=build-gpu/tests/gpu/test_gpu_scan_math BENCH=build-gpu/kernels/corey_bench_scan
fi

status=0
echo "== gpu tests"
timeout 120 "$SCAN" > "$OUT/tests.log" 2>&1 || status=1
timeout 60 "$STATS" >> "$OUT/tests.log" 2>&1 || status=1
timeout 60 "$MATH" >> "$OUT/tests.log" 2>&1 || status=1
grep -E "passed|failed|FAILED|skipped" "$OUT/tests.log" | tail -8

if [ $skip_bench = 0 ]; then
  echo "== benchmark"
  # shellcheck disable=SC2086
  timeout 330 "$BENCH" --out "$OUT/bench.json" $bench_args > "$OUT/bench.log" 2>&1 || status=1
  tail -n 200 "$OUT/bench.log" | grep -v "^ch  " | tail -120
fi
if [ $skip_sanitizer = 0 ]; then
  echo "== compute-sanitizer"
  {
    for tool in memcheck racecheck; do
      echo "--- $tool scan"
      timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 "$SCAN" "[sanitize]"
      echo "rc=$?"
      echo "--- $tool stats"
      timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 "$STATS" "[sanitize]"
      echo "rc=$?"
    done
  } > "$OUT/sanitizer.log" 2>&1
  grep -E "^---|ERROR SUMMARY|^rc=" "$OUT/sanitizer.log"
  grep -q "^rc=[^0]" "$OUT/sanitizer.log" && status=1
fi

for shape in "${ncu_shapes[@]}"; do
  echo "== ncu $shape"
  # --clock-control none: leave the clocks as found.
  timeout 120 ncu --clock-control none -k regex:seq_scan -s 2 -c 1 \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section SchedulerStats \
    --section WarpStateStats --section ComputeWorkloadAnalysis --section InstructionStats \
    --section MemoryWorkloadAnalysis "$BENCH" --profile "$shape" >> "$OUT/ncu.txt" 2>&1
  grep -E "Duration|Registers Per|Achieved Occupancy|Issued Warp Per|No Eligible|Stall|Warp Cycles Per Issued|Executed Ipc A|Compute \(SM\) Th|Memory Th" "$OUT/ncu.txt" | tail -24
done
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv >> "$OUT/env.txt" 2>&1
exit $status
