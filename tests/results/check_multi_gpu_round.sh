#!/usr/bin/env bash
# scripts/device/multi_gpu_round.sh on the CPU runtime (part "video", shrunk with
# CPB_ROUND_ARGS): a call with too little time left starts nothing and exits 3; the next
# call runs the part to completion, merges and reports it (exit 0); a third call finds it
# complete and runs nothing; an unknown part and a world size the part does not run at are
# bad usage (exit 2); --list prints every part with its device-time estimate.
#   check_multi_gpu_round.sh BINARY SOURCE_DIR
set -uo pipefail
bin=${1:?usage: $0 BINARY SOURCE_DIR}
src=${2:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
check() {  # check WHAT COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
round() { "$src/scripts/device/multi_gpu_round.sh" "$@"; }
unset OUT  # the device machine's return folder: not packed here
export CPB_BIN="$bin" CPB_SIM_BIN="$bin" CPB_DEVICE=cpu CPB_NP=2 CPB_MACHINE=""
export CPB_ROUND_ARGS="-a S=384 -a H=4 -a D=32 -a mask_frames=3 -a mask_docs=2 -a transport=mpi"
dir="$work/round"

CPB_ROUND_SECONDS=30 round video "$dir" > "$work/first.txt" 2>&1
check "too little time: exit 3, nothing run" test $? -eq 3
check "too little time: no result file" test ! -e "$dir/video.nvlink.json"
check "too little time: says call again" grep -q "call again" "$work/first.txt"

round video "$dir" > "$work/second.txt" 2>&1
rc=$?
check "second call completes the part (exit 0)" test $rc -eq 0
[ $rc -eq 0 ] || { cat "$work/second.txt"; tail -20 "$dir"/video.nvlink.log; }
check "merged and reported" test -s "$dir/video.json" -a -s "$dir/video.md"
check "every point PASS or SKIPPED, at P=2, complete" python3 - "$dir/video.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["complete"], "not complete"
assert d["points"] and all(p["status"] in ("PASS", "SKIPPED") for p in d["points"]), [p["status"] for p in d["points"]]
assert any(p["status"] == "PASS" for p in d["points"])
assert {p["params"]["P"] for p in d["points"]} == {2}
PY
before=$(sha256sum "$dir/video.nvlink.json")
round video "$dir" > "$work/third.txt" 2>&1
check "third call: exit 0" test $? -eq 0
check "third call: the profile is complete, nothing rerun" grep -q "video, nvlink: complete" "$work/third.txt"
check "third call: the file is unchanged" test "$before" = "$(sha256sum "$dir/video.nvlink.json")"

round no_such_part "$dir" > "$work/bad.txt" 2>&1
check "unknown part: exit 2" test $? -eq 2
check "unknown part: names the allowed parts" grep -q "allowed: overlap" "$work/bad.txt"
CPB_NP=3 round video "$dir" > "$work/np.txt" 2>&1
check "a world size the part does not run at: exit 2" test $? -eq 2
(cd "$src" && CPB_MACHINE=configs/machines/h200.json scripts/device/multi_gpu_round.sh --list) > "$work/list.txt" 2>&1
check "--list: every part, with estimates" bash -c "grep -q '^== paper_p8' '$work/list.txt' && grep -q 'P=2 nvlink: .* s of device time' '$work/list.txt'"
[ $fails = 0 ] && echo "all ok" || { echo "$fails check(s) failed"; exit 1; }
