#!/usr/bin/env bash
# The multi-GPU measurement rounds (issues 22 and 23) as parts that fit device calls: each
# call runs one part for at most CPB_ROUND_SECONDS and can be called again to continue it.
#   scripts/device/multi_gpu_round.sh PART DIR        # on the GPU machine, DIR inside the repo
#   scripts/device/multi_gpu_round.sh --list          # the parts, their commands and sizes
# PART is one of the names --list prints. DIR is best a directory of the working tree, e.g.
# results/h200x2/2026-12-10_round: the part's result files are written there per profile
# (PART.nvlink.json, PART.pcie.json, with `run --resume`), so copying DIR back into the
# working tree after a call (it is untracked, so it travels with the next call) and calling
# again continues where the last call stopped: `run` writes its file after each comparison
# group, and on SIGTERM keeps every finished group (docs/RELIABILITY.md). When every
# profile of a part is complete, they are merged into PART.json and reported to PART.md.
# Every run carries --machine (CPB_MACHINE, default configs/machines/h200.json; set empty
# for none), so each record has the simulator's predicted_ms, made before the run.
# Sizes: scripts/device/device_time.py estimates each part's device seconds from the
# simulator; --list prints its estimate (build-cpu/cpbench or CPB_SIM_BIN must exist).
# Environment: CPB_GIT_SHA (the commit, as for gpu_check.sh; the same in every call of a
# part, or --resume keeps nothing), CPB_ROUND_SECONDS (default 480: a 600 s call less a
# build), CPB_NP (ranks; default the number of GPUs), CPB_MACHINE, CPB_BIN (default
# build-gpu/cpbench, built here if missing: configure and ninja as gpu_check.sh does),
# CPB_DEVICE (default cuda), CPB_ROUND_ARGS (more `run` arguments, e.g. -a S=512 for a
# check on the CPU runtime: tests/results/check_multi_gpu_round.sh).
# If $OUT is set (the device machine's return folder), DIR is also packed into
# $OUT/round.tgz, since a call returns few files.
# Exit: 0 the part is complete; 3 it stopped at the time limit (call again); 2 bad usage;
# 1 a run failed otherwise (see DIR/PART.PROFILE.log).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

# name|world sizes|profiles|filter (terms joined by ","; the profile's is added)|config and
# run arguments (words, no quoting inside)
parts=(
  "overlap|2|nvlink pcie||-c configs/overlap_best.json"
  "ce_nodes|2|nvlink pcie|transport=ce|ce_host|-c configs/overlap_best.json --ranks-per-node 1"
  "tiled_mha|2|nvlink pcie||-c configs/ultraattn/p2_masks.json"
  "tiled_gqa|2|nvlink pcie||-c configs/ultraattn/p2_masks.json -a H=64 -a Hkv=8"
  "tiled_one_head|2|nvlink pcie||-c configs/ultraattn/p2_masks.json -a H=1"
  "train_wan22|2 4 8|nvlink||-c configs/train_wan22.json -a transport=nccl"
  "train_llm_gqa|2 4 8|nvlink||-c configs/train_llm_gqa.json -a transport=nccl"
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
    echo "== ${p%%|*} (P = $worlds; profiles $profiles): run $rest${filter:+ --filter $filter}"
    [ -x "$sim" ] || continue
    for w in $worlds; do
      for prof in $profiles; do
        # shellcheck disable=SC2086
        python3 scripts/device/device_time.py "$sim" "$machine" -- $rest --world "$w" \
          --filter "${filter:+$filter,}profile=$prof" | sed -n 's/^total: /   P='"$w $prof"': /p'
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
bin="${CPB_BIN:-build-gpu/cpbench}"
mkdir -p "$dir"
t0=$(date +%s)

. scripts/device/gpu_env.sh
if [ ! -x "$bin" ] && [ -z "${CPB_BIN:-}" ]; then
  py_site_flag=()
  [ -n "$cpb_py_site" ] && py_site_flag=(-DCPBENCH_PY_SITE="$cpb_py_site")
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCPBENCH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a \
    "${py_site_flag[@]}" > "$dir/configure.log" 2>&1 || { tail -30 "$dir/configure.log"; exit 1; }
  ninja -C build-gpu cpbench > "$dir/build.log" 2>&1 || { grep -E "error|FAILED" "$dir/build.log" | head -40; exit 1; }
  echo "build: $(( $(date +%s) - t0 )) s, $($bin --version)"
fi

status=0
complete=1
for prof in $profiles; do
  out="$dir/$name.$prof.json"
  if [ -f "$out" ] && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("complete") else 1)' "$out"; then
    echo "part $name, $prof: complete"
    continue
  fi
  left=$(( budget - ($(date +%s) - t0) ))
  if [ "$left" -lt 60 ]; then complete=0; echo "part $name, $prof: not started ($left s left)"; continue; fi
  env_p2p=()
  [ "$prof" = pcie ] && env_p2p=(env NCCL_P2P_DISABLE=1)
  machine_flag=()
  [ -n "$machine" ] && machine_flag=(--machine "$machine")
  # shellcheck disable=SC2086
  "${env_p2p[@]}" timeout -s TERM -k 20 "$left" scripts/mpirun.sh "$np" "$bin" run $rest ${CPB_ROUND_ARGS:-} \
    --filter "${filter:+$filter,}profile=$prof" "${machine_flag[@]}" --device "${CPB_DEVICE:-cuda}" --quiet --resume \
    --out "$out" >> "$dir/$name.$prof.log" 2>&1
  rc=$?
  done_points=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["points"]), d.get("complete", False))' "$out" 2>/dev/null)
  echo "part $name, $prof: run exit $rc after $(( $(date +%s) - t0 )) s; points, complete: ${done_points:-none}"
  case $rc in
    0) ;;
    3|124|137) complete=0 ;;  # the time limit: SIGTERM (3), or killed
    *) status=1; complete=0 ;;
  esac
done

if [ $complete = 1 ] && [ $status = 0 ]; then
  files=()
  for prof in $profiles; do files+=("$dir/$name.$prof.json"); done
  python3 scripts/results/merge_results.py -o "$dir/$name.json" "${files[@]}" \
    && "$bin" report "$dir/$name.json" --format md > "$dir/$name.md" 2>&1 \
    && echo "part $name: complete: $dir/$name.json, $dir/$name.md" || status=1
fi
[ -n "${OUT:-}" ] && tar czf "$OUT/round.tgz" "$dir"
[ $status != 0 ] && exit 1
[ $complete = 1 ] && exit 0
echo "part $name: stopped at the time limit; copy $dir back into the working tree and call again"
exit 3
