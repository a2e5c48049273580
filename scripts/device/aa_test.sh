#!/usr/bin/env bash
# The A/A test of issue 16 (on GPUs; CPB_DEVICE=cpu runs it on the CPU runtime): two
# back-to-back runs of the same build and config must give no SLOWER or FASTER point in
# `cpbench compare`, and the second run with one point planted 3% slower
# (scripts/results/plant_slowdown.py, a test utility) must flag that point, for every
# point in turn. Needs at least 12 PASS points over 10 ms timed in 2 rounds or more
# (measure.rounds: "auto" is 3 on the cuda runtime). Build first
# (scripts/device/gpu_check.sh OUTDIR builds build-gpu/cpbench).
#   scripts/device/aa_test.sh OUTDIR CONFIG.json
# Environment: CPB_BIN (default build-gpu/cpbench), CPB_DEVICE (default cuda), CPB_NP (ranks; default: number of
# GPUs), CPB_RUN_ARGS (extra `run` arguments, e.g. "--filter transport=nccl"),
# CPB_AA_REUSE=1 (judge the aa_a.json and aa_b.json already in OUTDIR again, e.g. at
# another threshold, without running), CPB_AA_THRESHOLD (compare --threshold, default 2 [%]: a 3% change must be able to leave
# the band), CPB_AA_NOISE (compare --noise, default 3), CPB_AA_FACTOR (default 1.03).
# Writes aa_a.json, aa_b.json, the A/A compare output and aa_planted.txt (one line per
# planted point: its SLOWER count and its compare line) to OUTDIR;
# prints PASS or FAIL with the reason last. Exit 0 on PASS, 1 on FAIL, 2 on bad usage, 3
# when the pair is no test at all: a point of either run shared its GPU with another
# compute process (gpu_state.other_processes > 0; docs/METRICS.md, "GPU state").
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
out="${1:?usage: $0 OUTDIR CONFIG.json}"
config="${2:?usage: $0 OUTDIR CONFIG.json}"
bin="${CPB_BIN:-build-gpu/cpbench}"
device="${CPB_DEVICE:-cuda}"
[ -x "$bin" ] || { echo "aa_test: $bin is not built (run scripts/device/gpu_check.sh first)" >&2; exit 2; }
. scripts/device/gpu_env.sh
np="${CPB_NP:-$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')}"
[ "$np" -ge 1 ] || [ "${CPB_AA_REUSE:-0}" = 1 ] \
  || { echo "aa_test: no GPU found: set CPB_NP (and CPB_DEVICE=cpu for the CPU runtime)" >&2; exit 2; }
threshold="${CPB_AA_THRESHOLD:-2}"
noise="${CPB_AA_NOISE:-3}"
factor="${CPB_AA_FACTOR:-1.03}"
mkdir -p "$out"
# shellcheck disable=SC2206
run_args=(${CPB_RUN_ARGS:-})
verdict=PASS
fail() { echo "aa_test: FAIL: $*"; verdict=FAIL; }

for side in a b; do
  if [ "${CPB_AA_REUSE:-0}" = 1 ]; then
    [ -s "$out/aa_$side.json" ] || { echo "aa_test: CPB_AA_REUSE=1 but $out/aa_$side.json is missing" >&2; exit 2; }
    continue
  fi
  echo "== run $side"
  scripts/mpirun.sh "$np" "$bin" run --config "$config" --device "$device" --quiet --out "$out/aa_$side.json" \
    "${run_args[@]}" > "$out/aa_run_$side.txt" 2>&1 || fail "run $side exited $? (see aa_run_$side.txt)"
done

# The points that count: PASS, over 10 ms, 2 rounds or more. Each is planted in turn (one
# planted point per copy of B), so the test shows the rule's power at every point, not at
# one chosen point whose own A/A change may happen to cancel the plant.
counted_indices=$(python3 - "$out/aa_a.json" <<'PY'
import json, sys
points = json.load(open(sys.argv[1]))["points"]
ok = [p["index"] for p in points if p.get("status") == "PASS" and p.get("time_ms", {}).get("p50", 0) > 10
      and len(p.get("rounds", [])) >= 2]
print(" ".join(map(str, ok)))
PY
) || fail "cannot read $out/aa_a.json"
read -r -a indices <<<"${counted_indices:-}"
shared=$(python3 - "$out/aa_a.json" "$out/aa_b.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    for p in json.load(open(path))["points"]:
        others = (p.get("gpu_state") or {}).get("other_processes") or 0
        if others > 0:
            print(f"{path}: point {p.get('index')} ({p.get('schedule')}): {others} other process(es) on the GPU")
PY
) || fail "cannot read the runs' files"
if [ -n "$shared" ]; then
  echo "$shared"
  echo "aa_test: INVALID: $(grep -c . <<< "$shared") point(s) shared the GPU with another process; run again on a quiet GPU"
  exit 3
fi
counted=${#indices[@]}
echo "points over 10 ms with rounds: $counted"
[ "$counted" -ge 12 ] || fail "$counted points over 10 ms with 2+ rounds; the test needs 12"

"$bin" compare "$out/aa_a.json" "$out/aa_b.json" --threshold "$threshold" --noise "$noise" > "$out/aa_compare.txt"
rc=$?
tail -1 "$out/aa_compare.txt"
[ "$rc" -eq 0 ] || fail "A/A compare exited $rc"
grep -Eq '^(SLOWER|FASTER) ' "$out/aa_compare.txt" && fail "A/A compare has SLOWER or FASTER points"

# One line per planted point: index, verdicts, change and band of that point's compare line.
flagged=0
: > "$out/aa_planted.txt"
for index in "${indices[@]}"; do
  planted="$out/aa_b_planted_$index.json"
  python3 scripts/results/plant_slowdown.py "$out/aa_b.json" "$planted" --index "$index" \
    --factor "$factor" || { fail "plant_slowdown failed at index $index"; continue; }
  "$bin" compare "$out/aa_a.json" "$planted" --threshold "$threshold" --noise "$noise" > "$out/compare.tmp"
  [ $? -le 1 ] || { fail "compare of the plant at index $index failed"; continue; }
  # Only the planted point differs from the A/A pair, so a single SLOWER point is it.
  slower=$(sed '/^regressions:/,$d' "$out/compare.tmp" | grep -c '^SLOWER ')
  # The planted point's line is the one that differs from the A/A compare's.
  line=$(diff <(sed '/^regressions:/,$d' "$out/aa_compare.txt" | grep -E '^(SAME|SLOWER|FASTER) ') \
              <(sed '/^regressions:/,$d' "$out/compare.tmp" | grep -E '^(SAME|SLOWER|FASTER) ') | sed -n 's/^> //p')
  printf 'index %-4s SLOWER points %s  %s\n' "$index" "$slower" "$line" >> "$out/aa_planted.txt"
  [ "$slower" -eq 1 ] && flagged=$((flagged + 1))
  rm -f "$planted"
done
rm -f "$out/compare.tmp"
cat "$out/aa_planted.txt"
echo "planted ${factor}x: flagged at $flagged of $counted points"
[ "$flagged" -eq "$counted" ] || fail "a ${factor}x slowdown went unflagged at $((counted - flagged)) of $counted points"
echo "aa_test: $verdict (threshold $threshold%, noise K=$noise, $counted points over 10 ms)"
[ "$verdict" = PASS ]
