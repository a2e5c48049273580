#!/usr/bin/env bash
# Bad input must fail cleanly: exit code 2, "cpbench: error: <message naming the field>"
# on stderr, and no result file written.
#   run_cli_tests.sh BINARY MPIRUN CASEDIR
# CASEDIR (or CASEDIR/cases) holds one case per NAME.expect:
#   NAME.expect  lines that must all appear in stderr (the field path and what is wrong)
#   NAME.json    the config passed with --config; absent: the missing-file case
#   NAME.args    optional extra arguments, one per line (e.g. "-a" then "S=big"); in them
#                $DIR stands for DIR below and $CASES for CASEDIR (in NAME.expect too,
#                so a message can be checked to name the path). When they hold --out,
#                it replaces the default --out (CLI11 refuses a second one).
#   NAME.np      optional MPI world size (default 1)
#   NAME.cmd     optional subcommand that replaces `run --config NAME.json` (e.g. "probe",
#                whose options then come from NAME.args); any other than run and probe
#                (plan, report, compare, a misspelled one) gets none of the default
#                options below, only NAME.args
# Each case runs `MPIRUN NP BINARY run --config NAME.json --device cpu --quiet --out DIR/out.json ARGS`
# with DIR a fresh temporary folder that must still be empty afterwards.
# Prints one line per case, then "N passed, M failed"; exits 1 when any case failed.
set -uo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY MPIRUN CASEDIR" >&2
  exit 2
fi
binary=$1
mpirun=$2
casedir=$3
[ -d "$casedir/cases" ] && casedir=$casedir/cases

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
for expect in "$casedir"/*.expect; do
  name=$(basename "$expect" .expect)
  config=$casedir/$name.json
  np=1
  [ -f "$casedir/$name.np" ] && np=$(<"$casedir/$name.np")
  outdir=$work/$name/out
  mkdir -p "$outdir"
  args=()
  [ -f "$casedir/$name.args" ] && mapfile -t args <"$casedir/$name.args"
  out=(--out "$outdir/out.json")
  for i in "${!args[@]}"; do
    args[i]=${args[i]//\$DIR/$outdir}
    args[i]=${args[i]//\$CASES/$casedir}
    [ "${args[i]}" = --out ] && out=()
  done
  command=(run --config "$config")
  [ -f "$casedir/$name.cmd" ] && command=("$(<"$casedir/$name.cmd")")
  defaults=(--device cpu --quiet "${out[@]}")
  case ${command[0]} in run | probe) ;; *) defaults=() ;; esac

  "$mpirun" "$np" "$binary" "${command[@]}" "${defaults[@]}" "${args[@]}" \
    >"$work/$name/stdout" 2>"$work/$name/stderr"
  rc=$?

  problems=()
  [ "$rc" -eq 2 ] || problems+=("exit code $rc, expected 2")
  grep -qF -- "cpbench: error: " "$work/$name/stderr" || problems+=("no 'cpbench: error: ' line on stderr")
  while IFS= read -r line || [ -n "$line" ]; do
    [ -z "$line" ] && continue
    line=${line//\$DIR/$outdir}
    line=${line//\$CASES/$casedir}
    grep -qF -- "$line" "$work/$name/stderr" || problems+=("stderr lacks: $line")
  done <"$expect"
  written=$(find "$outdir" -mindepth 1 -printf '%P ')
  [ -z "$written" ] || problems+=("files were written: $written")

  if [ ${#problems[@]} -eq 0 ]; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    for p in "${problems[@]}"; do echo "     $p"; done
    echo "     stderr:"
    sed 's/^/       /' "$work/$name/stderr"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
