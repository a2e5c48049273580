#!/usr/bin/env bash
# The multi-GPU measurement rounds (issues 22 and 23) as parts that fit device calls: each
# call runs one part for at most CPB_ROUND_SECONDS and can be called again to continue it.
#   scripts/device/multi_gpu_round.sh PART DIR        # on the GPU machine
#   scripts/device/multi_gpu_round.sh --list          # the parts, their commands and sizes
# PART is one of the names --list prints. DIR holds the part's result files, one per
# profile (PART.nvlink.json, PART.pcie.json, written by `run --resume`, with their logs);
# put it in the working tree (e.g. results/h200x2/2026-12-10_round), copy it back after a
# call (it is untracked, so it travels with the next call) and call again: `run` writes
# its file after each comparison group and keeps the finished groups on SIGTERM
# (docs/RELIABILITY.md), and `--resume` runs only what is missing. A call that ends inside
# a comparison group loses that group, so the largest group must fit a call
# (scripts/device/device_time.py prints it); a call that hits the time limit without
# finishing a group exits 1 rather than promise progress it cannot make. DIR/PART.args
# records the part's arguments at its first call; a later call with other arguments
# (CPB_ROUND_ARGS, CPB_MACHINE) is refused, since `--resume` would drop what was measured.
# When every profile's file is complete they are merged into PART.json and reported to
# PART.md. Every run carries --machine (CPB_MACHINE, default configs/machines/h200.json;
# set empty for none), so each record has the simulator's predicted_ms, made before the run.
# Environment: CPB_GIT_SHA (the commit, as for gpu_check.sh; the same in every call of a
# part, or --resume keeps nothing), CPB_ROUND_SECONDS (default 480: a 600 s call less a
# build; the build is not counted), CPB_ROUND_MIN_SECONDS (default 60: the least time left
# to start a profile's run), CPB_NP (ranks; default the number of GPUs), CPB_MACHINE,
# CPB_BIN (default build-gpu/cpbench, configured and built here, incrementally, as
# gpu_check.sh does; set it to skip the build), CPB_DEVICE (default cuda), CPB_ROUND_ARGS (more `run` arguments,
# e.g. -a S=512 for a check on the CPU runtime: tests/results/check_multi_gpu_round.sh),
# CPB_SIM_BIN (the cpbench that --list simulates with; default build-cpu/cpbench).
# If $OUT is set (the device machine's return folder), DIR is also packed into
# $OUT/round.tgz, since a call returns few files.
# Exit: 0 the part is complete and every run passed; 3 it stopped at the time limit (call
# again); 2 bad usage; 1 a run failed (a FAILED point, a watchdog, a crash: see
# DIR/PART.PROFILE.log) or a call finished no comparison group.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

# name|world sizes|profiles|filter (terms joined by ","; the profile's is added)|config and
# run arguments (words, no quoting inside). Left out, their largest comparison group over a
# 480 s call (device_time.py): train_wan22_512k at P=2 and 4, train_llm_gqa_512k at P=2.
parts=(
  "overlap|2|nvlink pcie||-c configs/overlap_best.json"
  "ce_nodes|2|nvlink pcie|transport=ce|ce_host|-c configs/overlap_best.json --ranks-per-node 1"
  "tiled_mha|2|nvlink pcie||-c configs/ultraattn/p2_masks.json"
  "tiled_gqa|2|nvlink pcie||-c configs/ultraattn/p2_masks.json -a H=64 -a Hkv=8"
  "tiled_one_head|2|nvlink pcie||-c configs/ultraattn/p2_masks.json -a H=1"
  "train_wan22|2 4 8|nvlink|S<=262080|-c configs/train_wan22.json -a transport=nccl"
  "train_wan22_512k|8|nvlink|S>=524160|-c configs/train_wan22.json -a transport=nccl"
  "train_llm_gqa|2 4 8|nvlink|S<=262144|-c configs/train_llm_gqa.json -a transport=nccl"
  "train_llm_gqa_512k|4 8|nvlink|S>=524288|-c configs/train_llm_gqa.json -a transport=nccl"
  "inference|2 4 8|nvlink||-c configs/ultraattn/inference.json"
  "video|2 4 8|nvlink||-c configs/ultraattn/video.json"
  "training_mha|8|nvlink||-c configs/ultraattn/training_mha.json"
  "training_gqa|8|nvlink||-c configs/ultraattn/training_gqa.json"
  "dense|8|nvlink||-c configs/ultraattn/dense.json"
  "paper_p8|8|nvlink pcie||-c configs/paper/hcms_p8_main.json"
)
# The filter field may hold "|" (alternatives), so a part's fields are read from both ends.
part_of() {  # NAME: sets worlds, profiles, filter, rest; returns 1 for an unknown part
  local p
  for p in "${parts[@]}"; do
    [ "${p%%|*}" = "$1" ] || continue
    rest=${p##*|}
    p=${p%|*}
    p=${p#*|}
    worlds=${p%%|*}
    p=${p#*|}
    profiles=${p%%|*}
    filter=${p#*|}
    return 0
  done
  return 1
}

machine="${CPB_MACHINE-configs/machines/h200.json}"
if [ "${1:-}" = --list ]; then
  sim="${CPB_SIM_BIN:-build-cpu/cpbench}"
  for p in "${parts[@]}"; do
    part_of "${p%%|*}" || continue
    printf '== %s (P = %s; profiles %s): run %s' "${p%%|*}" "$worlds" "$profiles" "$rest"
    [ -n "$filter" ] && printf ' --filter %q' "$filter"
    printf '\n'
    [ -x "$sim" ] || continue
    for w in $worlds; do
      for prof in $profiles; do
        # shellcheck disable=SC2086
        python3 scripts/device/device_time.py "$sim" "$machine" -- $rest --world "$w" \
          --filter "${filter:+$filter,}profile=$prof" \
          | sed -n -e 's/^total: /   P='"$w $prof"': /p' -e 's/^largest comparison group: about \([0-9]*\) s.*/     largest group \1 s/p' \
            -e 's/^warning: .*/     warning: that group exceeds a call/p'
      done
    done
  done
  exit 0
fi

name="${1:?usage: $0 PART DIR | --list}"
dir="${2:?usage: $0 PART DIR | --list}"
part_of "$name" || { echo "multi_gpu_round: PART \"$name\" is not a part; allowed: $(printf '%s ' "${parts[@]%%|*}")" >&2; exit 2; }
np="${CPB_NP:-$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')}"
grep -qw -- "$np" <<< "$worlds" \
  || { echo "multi_gpu_round: part $name runs at P = $worlds; this machine has $np GPU(s) (set CPB_NP)" >&2; exit 2; }
budget="${CPB_ROUND_SECONDS:-480}"
min_left="${CPB_ROUND_MIN_SECONDS:-60}"
bin="${CPB_BIN:-build-gpu/cpbench}"
mkdir -p "$dir" || exit 2
args="run $rest ${CPB_ROUND_ARGS:-} --filter ${filter:+$filter,}profile=... --machine $machine --device ${CPB_DEVICE:-cuda}"
if [ -f "$dir/$name.args" ]; then
  [ "$(cat "$dir/$name.args")" = "$args" ] || {
    echo "multi_gpu_round: $dir holds part $name run as \"$(cat "$dir/$name.args")\"; this call would run" \
      "\"$args\": use another DIR" >&2
    exit 2
  }
else
  printf '%s\n' "$args" > "$dir/$name.args"
fi

. scripts/device/gpu_env.sh
if [ -z "${CPB_BIN:-}" ]; then  # incremental after the first call; the logs stay in build-gpu/
  mkdir -p build-gpu
  cpb_build_gpu build-gpu cpbench || exit 1
  echo "build: $($bin --version)"
fi

records() {  # FILE: its number of records, 0 when there is none
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["points"]))' "$1" 2>/dev/null || echo 0
}
is_complete() {  # FILE
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("complete") else 1)' "$1" 2>/dev/null
}

t0=$(date +%s)
failed=0
for prof in $profiles; do
  out="$dir/$name.$prof.json"
  left=$(( budget - ($(date +%s) - t0) ))
  if [ "$left" -lt "$min_left" ]; then echo "part $name, $prof: not started ($left s left)"; continue; fi
  before=$(records "$out")
  env_p2p=()
  [ "$prof" = pcie ] && env_p2p=(env NCCL_P2P_DISABLE=1)
  machine_flag=()
  [ -n "$machine" ] && machine_flag=(--machine "$machine")
  # SIGTERM at the limit: rank 0 writes the finished groups and the ranks exit (timeout 124;
  # 137 if they had to be killed 20 s later).
  # shellcheck disable=SC2086
  "${env_p2p[@]}" timeout -s TERM -k 20 "$left" scripts/mpirun.sh "$np" "$bin" run $rest ${CPB_ROUND_ARGS:-} \
    --filter "${filter:+$filter,}profile=$prof" "${machine_flag[@]}" --device "${CPB_DEVICE:-cuda}" --quiet --resume \
    --out "$out" >> "$dir/$name.$prof.log" 2>&1
  rc=$?
  after=$(records "$out")
  echo "part $name, $prof: run exit $rc after $(( $(date +%s) - t0 )) s; records $before -> $after"
  case $rc in
    0) ;;
    124|137)
      if [ "$after" -le "$before" ]; then
        echo "part $name, $prof: $left s finished no comparison group; the part cannot progress in calls of" \
          "CPB_ROUND_SECONDS=$budget (scripts/device/device_time.py prints its largest group)" >&2
        failed=1
      fi ;;
    *) echo "part $name, $prof: run failed (exit $rc; $dir/$name.$prof.log)" >&2; failed=1 ;;
  esac
done

complete=1
files=()
for prof in $profiles; do
  is_complete "$dir/$name.$prof.json" || complete=0
  files+=("$dir/$name.$prof.json")
done
if [ $complete = 1 ]; then
  if python3 scripts/results/merge_results.py -o "$dir/$name.json" "${files[@]}" \
      && "$bin" report "$dir/$name.json" --format md > "$dir/$name.md" 2>> "$dir/$name.report.log"; then
    echo "part $name: complete: $dir/$name.json, $dir/$name.md"
  else
    echo "part $name: merging or reporting failed" >&2
    failed=1
  fi
  # A FAILED record stays FAILED through --resume: every call says so, not only the first.
  bad=$(python3 -c 'import json,sys; print(sum(p.get("status") == "FAILED" for p in json.load(open(sys.argv[1]))["points"]))' \
    "$dir/$name.json" 2>/dev/null || echo 0)
  [ "$bad" = 0 ] || { echo "part $name: $bad point(s) FAILED (see $dir/$name.md)" >&2; failed=1; }
fi
[ -n "${OUT:-}" ] && tar czf "$OUT/round.tgz" "$dir"
[ $failed = 1 ] && exit 1
[ $complete = 1 ] && exit 0
echo "part $name: stopped at the time limit; copy $dir back into the working tree and call again"
exit 3
