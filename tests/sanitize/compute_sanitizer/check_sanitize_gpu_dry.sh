#!/usr/bin/env bash
# scripts/device/sanitize_gpu.sh without a GPU: stub cmake, ninja, ctest, nvidia-smi and
# compute-sanitizer on PATH (one visible GPU), a copy of the scripts it needs, and checks
# of its verdicts: a race in cuDNN's kernel is counted apart and passes, one in our kernel
# FAILs; racecheck leaves cuDNN's kernels out; a job needing two GPUs is skipped without
# starting the sanitizer; a job's file check runs without it, and is not run when the job
# failed; the exit status is 1 (there are failures). Then runs stopped by SIGTERM while
# parallel tests, then a serial job, run: exit 3, and no test left running.
#   check_sanitize_gpu_dry.sh SOURCE_DIR
set -uo pipefail
src="${1:?usage: $0 SOURCE_DIR}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/repo/scripts/device" "$work/repo/tests/gpu" "$work/repo/build-gpu-sanitize"
cp "$src"/scripts/device/{sanitize_gpu.sh,sanitizer_errors.py,gpu_env.sh} "$work/repo/scripts/device/"
cp "$src/tests/gpu/need_gpus.sh" "$work/repo/tests/gpu/"
for tool in cmake ninja; do printf '#!/bin/bash\nexit 0\n' > "$work/bin/$tool"; done
printf '#!/bin/bash\necho "GPU 0: stub"\n' > "$work/bin/nvidia-smi"
printf '#!/bin/bash\n[ "$1" = fail ] && exit 1\n[ "$1" = hang ] && while :; do sleep 0.1; done\nexit 0\n' \
  > "$work/bin/fake_test"
need="/usr/bin/bash\", \"$work/repo/tests/gpu/need_gpus.sh"
serial='[{"name": "RUN_SERIAL", "value": true}, {"name": "SKIP_RETURN_CODE", "value": 77}]'
fixture='[{"name": "FIXTURES_REQUIRED", "value": ["f"]}, {"name": "SKIP_RETURN_CODE", "value": 77}]'
cat > "$work/bin/ctest" <<EOF
#!/bin/bash
if [ "\${STUB_HANG:-}" = parallel ]; then
  echo '{"tests": [{"name": "Hangs.Forever", "command": ["$work/bin/fake_test", "hang"], "properties": []},'
  echo ' {"name": "gpu.hang.np1", "command": ["$work/bin/fake_test", "hang"], "properties": $serial}]}'
  exit 0
fi
if [ "\${STUB_HANG:-}" = serial ]; then
  echo '{"tests": [{"name": "gpu.hang.np1", "command": ["$work/bin/fake_test", "hang"], "properties": $serial}]}'
  exit 0
fi
cat <<'JSON'
{"tests": [
 {"name": "Ok.Kernel", "command": ["$work/bin/fake_test", "ok"], "properties": []},
 {"name": "Races.InCudnn", "command": ["$work/bin/fake_test", "race_cudnn"], "properties": []},
 {"name": "Races.Ours", "command": ["$work/bin/fake_test", "race_ours"], "properties": []},
 {"name": "gpu.job.np1", "command": ["$need", "1", "$work/bin/fake_test", "ok"], "properties": $serial},
 {"name": "gpu.job.np1.expect", "command": ["$need", "1", "true"], "properties": $fixture},
 {"name": "gpu.bad.np1", "command": ["$need", "1", "$work/bin/fake_test", "fail"], "properties": $serial},
 {"name": "gpu.bad.np1.expect", "command": ["$need", "1", "true"], "properties": $fixture},
 {"name": "gpu.job.np2", "command": ["$need", "2", "$work/bin/fake_test", "ok"], "properties": $serial},
 {"name": "gpu.job.np2.expect", "command": ["$need", "2", "true"], "properties": $fixture}
]}
JSON
EOF
cat > "$work/bin/compute-sanitizer" <<EOF
#!/bin/bash
# --help: a long text naming the exclusion option; else: record the call, run the command,
# write a log as racecheck or memcheck would.
if [ "\$1" = --help ]; then seq -f '  --option-%g  help' 5000; echo '  --kernel-name-exclude  filter'; exit 0; fi
echo "\$*" >> "$work/calls.txt"
tool=memcheck log=
while [ \$# -gt 0 ]; do
  case "\$1" in
    --tool) tool=\$2; shift 2 ;;
    --log-file) log=\${2//%p/\$\$}; shift 2 ;;
    --leak-check|--target-processes|--kernel-name-exclude) shift 2 ;;
    *) break ;;
  esac
done
"\$@"; rc=\$?
race() { printf '========= Error: Race reported between Read access at %s+0x2f0\n' "\$1"
         printf '========= RACECHECK SUMMARY: 1 hazard displayed (1 error, 0 warnings)\n'; }
case "\$tool:\$*" in
  racecheck:*race_cudnn*) race cudnn_generated_fort_native_sdpa_kernel0 > "\$log" ;;
  racecheck:*race_ours*) race 'void cpb::merge_kernel<float>(int)' > "\$log" ;;
  racecheck:*) echo '========= RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)' > "\$log" ;;
  *) echo '========= ERROR SUMMARY: 0 errors' > "\$log" ;;
esac
exit \$rc
EOF
chmod +x "$work"/bin/*
(cd "$work/repo" && PATH="$work/bin:$PATH" CUDA_VISIBLE_DEVICES=0 bash scripts/device/sanitize_gpu.sh "$work/out") \
  > "$work/log.txt" 2>&1
rc=$?
fail=0
expect() {  # expect VERDICT TOOL NAME
  if grep -qE "^$1 +$2 .* $3\$" "$work/out/summary.txt"; then echo "ok   $*"; else echo "FAIL want: $*"; fail=1; fi
}
expect ok memcheck Ok.Kernel
expect ok racecheck Races.InCudnn
expect FAIL racecheck Races.Ours
expect ok memcheck gpu.job.np1
expect ok - gpu.job.np1.expect
expect FAIL memcheck gpu.bad.np1
expect "not run" - gpu.bad.np1.expect
expect skipped memcheck gpu.job.np2
expect skipped - gpu.job.np2.expect
[ "$rc" = 1 ] || { echo "FAIL: exit $rc, want 1"; fail=1; }
grep -q "racecheck --kernel-name-exclude kns=cudnn" "$work/calls.txt" \
  || { echo "FAIL: racecheck ran without leaving cuDNN's kernels out"; fail=1; }
# 3 tests x 2 tools, and the two one-GPU jobs: the two-GPU job never started the sanitizer.
runs=$(grep -c . "$work/calls.txt")
[ "$runs" = 8 ] || { echo "FAIL: $runs sanitizer runs, want 8"; fail=1; }
[ "$fail" = 0 ] || cat "$work/log.txt"

# Stopped by a signal while the parallel tests (both tools) hang, and while a serial job
# hangs (the script's own shell waits for it): every test is stopped.
for mode in parallel serial; do
  want=$([ "$mode" = parallel ] && echo 2 || echo 1)
  (cd "$work/repo" && PATH="$work/bin:$PATH" CUDA_VISIBLE_DEVICES=0 STUB_HANG=$mode \
    exec bash scripts/device/sanitize_gpu.sh "$work/out_stopped_$mode") > "$work/log_stopped_$mode.txt" 2>&1 &
  script=$!
  for _ in $(seq 100); do
    [ "$(pgrep -f -c "$work/bin/fake_test hang")" -ge "$want" ] && break
    sleep 0.1
  done
  kill -TERM "$script"
  wait "$script"
  rc=$?
  [ "$rc" = 3 ] || { echo "FAIL: a run stopped while $mode tests hang exited $rc, want 3"; fail=1; }
  sleep 0.5
  left=$(pgrep -f -c "$work/bin/fake_test hang")
  if [ "$left" = 0 ]; then
    echo "ok   a run stopped while $mode tests hang leaves no test running"
  else
    echo "FAIL: $left test(s) still running after the script stopped ($mode)"
    pkill -f "$work/bin/fake_test hang"
    fail=1
  fi
  grep -q "stopped by a signal" "$work/log_stopped_$mode.txt" || { echo "FAIL: no note of the signal ($mode)"; fail=1; }
done
exit $fail
