#!/usr/bin/env bash
# scripts/device/multi_gpu_round.sh on the CPU runtime, with part "tiled_one_head" shrunk
# by CPB_ROUND_ARGS (two profiles; pcie's points are SKIPPED on the CPU runtime). Nothing
# here hangs on the machine's speed:
# - a part whose file holds some records already (as a call stopped by the time limit
#   leaves it) is continued with --resume, keeping them;
# - a call whose time runs out between profiles exits 3, the next completes the part,
#   merged over both profiles and reported (exit 0), and a further call keeps every record;
# - a call with other arguments in the same DIR is refused (exit 2), as are an unknown
#   part and a world size the part does not run at;
# - a call stopped by the time limit inside its first comparison group (S = 16384: minutes
#   on the CPU runtime, against 3 s) exits 1, not 3;
# - --list prints every part with its estimate and the filter quoted for a shell.
#   check_multi_gpu_round.sh BINARY SOURCE_DIR
set -uo pipefail
bin=${1:?usage: $0 BINARY SOURCE_DIR}
src=${2:?}
. "$(dirname "$0")/../check_lib.sh"  # $work, check, $fails
# --resume keeps no record of a dirty tree's build (docs/RELIABILITY.md): nothing to test.
if "$bin" --version | grep -q dirty; then
  echo "skipped: $bin is a build of a dirty tree, whose records --resume never keeps"
  exit 77
fi
round() { "$src/scripts/device/multi_gpu_round.sh" "$@"; }
unset OUT  # the device machine's return folder: not packed here
export CPB_BIN="$bin" CPB_SIM_BIN="$bin" CPB_DEVICE=cpu CPB_NP=2 CPB_MACHINE=""
export CPB_ROUND_ARGS="-a S=512 -a D=32 -a transport=mpi"
dir="$work/round"

# What a stopped call leaves: the nvlink file with the groups of two masks.
mkdir -p "$dir"
# shellcheck disable=SC2086
"$src/scripts/mpirun.sh" 2 "$bin" run -c "$src/configs/ultraattn/p2_masks.json" -a H=1 $CPB_ROUND_ARGS --device cpu \
  --filter 'mask=full|causal,profile=nvlink' --quiet --out "$dir/tiled_one_head.nvlink.json" > "$work/seed.txt" 2>&1
check "seeded with some records" test -s "$dir/tiled_one_head.nvlink.json"

# Time for one profile only: 999 s must be left to start one, and nvlink takes seconds.
(cd "$src" && CPB_ROUND_SECONDS=1000 CPB_ROUND_MIN_SECONDS=999 \
  scripts/device/multi_gpu_round.sh tiled_one_head "$dir") > "$work/first.txt" 2>&1
check "time out between profiles: exit 3" test $? -eq 3
check "time out between profiles: pcie not started" grep -q "tiled_one_head, pcie: not started" "$work/first.txt"
check "the seeded records are kept, the rest run" \
  grep -qE "^resume: keeping [1-9][0-9]* of [0-9]+ points from .*; [1-9][0-9]* to run" "$dir/tiled_one_head.nvlink.log"
round tiled_one_head "$dir" > "$work/second.txt" 2>&1
check "the next call completes the part (exit 0)" test $? -eq 0
check "merged over both profiles and reported" python3 - "$dir/tiled_one_head.json" "$dir/tiled_one_head.md" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["complete"], "not complete"
profiles = {p["params"]["profile"] for p in d["points"]}
assert profiles == {"nvlink", "pcie"}, profiles
assert all(p["status"] in ("PASS", "SKIPPED") for p in d["points"]), [p["status"] for p in d["points"]]
assert sum(p["status"] == "PASS" for p in d["points"]) > 10
indices = [p["index"] for p in d["points"] if p["params"]["profile"] == "nvlink"]
assert len(indices) == len(set(indices)), "a point measured twice"
assert os.path.getsize(sys.argv[2]) > 0
PY

round tiled_one_head "$dir" > "$work/again.txt" 2>&1
check "a call on a complete part: exit 0" test $? -eq 0
check "a call on a complete part keeps every record" bash -c \
  "grep '^resume:' '$dir/tiled_one_head.nvlink.log' | tail -n 1 | grep -qE '^resume: keeping ([0-9]+) of \\1 points from .*; 0 to run'"

CPB_ROUND_ARGS="$CPB_ROUND_ARGS -a pass=bwd" round tiled_one_head "$dir" > "$work/other.txt" 2>&1
check "other arguments in the same DIR: exit 2" test $? -eq 2
check "other arguments: says to use another DIR" grep -q "use another DIR" "$work/other.txt"
round no_such_part "$dir" > "$work/bad.txt" 2>&1
check "unknown part: exit 2" test $? -eq 2
check "unknown part: names the allowed parts" grep -q "allowed: overlap" "$work/bad.txt"
CPB_NP=3 round tiled_one_head "$dir" > "$work/np.txt" 2>&1
check "a world size the part does not run at: exit 2" test $? -eq 2

CPB_ROUND_ARGS="-a S=16384 -a D=32 -a transport=mpi" CPB_ROUND_SECONDS=3 CPB_ROUND_MIN_SECONDS=1 \
  round tiled_one_head "$work/short" > "$work/short.txt" 2>&1
check "no comparison group in the time: exit 1" test $? -eq 1
check "no comparison group in the time: says so" grep -q "finished no comparison group" "$work/short.txt"

(cd "$src" && CPB_MACHINE=configs/machines/h200.json scripts/device/multi_gpu_round.sh --list) > "$work/list.txt" 2>&1
check "--list: every part, with estimates and largest groups" bash -c \
  "grep -q '^== paper_p8' '$work/list.txt' && grep -q 'P=2 nvlink: .* s of device time' '$work/list.txt' \
   && grep -q 'largest group' '$work/list.txt'"
check "--list: the filter quoted for a shell" grep -qF -- '--filter transport=ce\|ce_host' "$work/list.txt"
[ $fails = 0 ] && echo "all ok" || { echo "$fails check(s) failed"; exit 1; }
