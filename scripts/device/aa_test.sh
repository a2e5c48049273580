#!/usr/bin/env bash
# The A/A test of issue 16 on GPUs: two back-to-back runs of the same build and config must
# give no SLOWER or FASTER point in `cpbench compare`, and the second run with one point
# planted 3% slower (scripts/results/plant_slowdown.py, a test utility) must flag that
# point. Needs at least 12 PASS points over 10 ms timed in 2 rounds or more (measure.rounds:
# "auto" is 3 on the cuda runtime). Build first (scripts/device/gpu_check.sh OUTDIR builds
# build-gpu/cpbench).
#   scripts/device/aa_test.sh OUTDIR CONFIG.json
# Environment: CPB_BIN (default build-gpu/cpbench), CPB_NP (ranks; default: number of
# GPUs), CPB_RUN_ARGS (extra `run` arguments, e.g. "--filter transport=nccl"),
# CPB_AA_THRESHOLD (compare --threshold, default 2 [%]: a 3% change must be able to leave
# the band), CPB_AA_NOISE (compare --noise, default 3), CPB_AA_FACTOR (default 1.03).
# Writes aa_a.json, aa_b.json, aa_b_planted.json and the two compare outputs to OUTDIR;
# prints PASS or FAIL with the reason last. Exit 0 on PASS, 1 on FAIL, 2 on bad usage.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR CONFIG.json}"
config="${2:?usage: $0 OUTDIR CONFIG.json}"
bin="${CPB_BIN:-build-gpu/cpbench}"
[ -x "$bin" ] || { echo "aa_test: $bin is not built (run scripts/device/gpu_check.sh first)" >&2; exit 2; }
. scripts/device/gpu_env.sh
np="${CPB_NP:-$(nvidia-smi -L | grep -c '^GPU')}"
threshold="${CPB_AA_THRESHOLD:-2}"
noise="${CPB_AA_NOISE:-3}"
factor="${CPB_AA_FACTOR:-1.03}"
mkdir -p "$out"
# shellcheck disable=SC2206
run_args=(${CPB_RUN_ARGS:-})
verdict=PASS
fail() { echo "aa_test: FAIL: $*"; verdict=FAIL; }

for side in a b; do
  echo "== run $side"
  scripts/mpirun.sh "$np" "$bin" run --config "$config" --device cuda --quiet --out "$out/aa_$side.json" \
    "${run_args[@]}" > "$out/aa_run_$side.txt" 2>&1 || fail "run $side exited $? (see aa_run_$side.txt)"
done

# The points that count: PASS, over 10 ms, 2 rounds or more. Plants into the median one.
planted=$(python3 - "$out/aa_a.json" <<'PY'
import json, sys
points = json.load(open(sys.argv[1]))["points"]
ok = [p for p in points if p.get("status") == "PASS" and p.get("time_ms", {}).get("p50", 0) > 10
      and len(p.get("rounds", [])) >= 2]
ok.sort(key=lambda p: p["time_ms"]["p50"])
print(len(ok), ok[len(ok) // 2]["index"] if ok else -1)
PY
) || fail "cannot read $out/aa_a.json"
read -r counted index <<<"${planted:-0 -1}"
echo "points over 10 ms with rounds: $counted; planting ${factor}x into index $index"
[ "$counted" -ge 12 ] || fail "$counted points over 10 ms with 2+ rounds; the test needs 12"

"$bin" compare "$out/aa_a.json" "$out/aa_b.json" --threshold "$threshold" --noise "$noise" > "$out/aa_compare.txt"
rc=$?
tail -1 "$out/aa_compare.txt"
[ "$rc" -eq 0 ] || fail "A/A compare exited $rc"
grep -Eq '^(SLOWER|FASTER) ' "$out/aa_compare.txt" && fail "A/A compare has SLOWER or FASTER points"

if [ "$index" -ge 0 ]; then
  python3 scripts/results/plant_slowdown.py "$out/aa_b.json" "$out/aa_b_planted.json" --index "$index" \
    --factor "$factor" || fail "plant_slowdown failed"
  "$bin" compare "$out/aa_a.json" "$out/aa_b_planted.json" --threshold "$threshold" --noise "$noise" \
    > "$out/aa_compare_planted.txt"
  tail -1 "$out/aa_compare_planted.txt"
  # Only the planted point differs from the A/A pair, so a single SLOWER point is it.
  slower=$(sed '/^regressions:/,$d' "$out/aa_compare_planted.txt" | grep -c '^SLOWER ')
  [ "$slower" -eq 1 ] || fail "$slower SLOWER points with one point planted ${factor}x (want 1)"
fi
echo "aa_test: $verdict (threshold $threshold%, noise K=$noise, $counted points over 10 ms)"
[ "$verdict" = PASS ]
