#!/usr/bin/env bash
# The bad-input battery: every case must fail cleanly, with exit code 2, a
# "cpbench: error: <message naming the field or word>" line on stderr, nothing written
# where the case points its outputs, no crash and no hang.
#   run_cli_tests.sh BINARY MPIRUN TABLE
# TABLE (or TABLE/cases.txt when TABLE is a folder) holds the cases, one block each:
#   case NAME             starts a case (names are unique)
#   file FILE TEXT        writes TEXT (one line, may be empty) to $IN/FILE before the case runs
#   config TEXT           the same as "file config.json TEXT"; $CONFIG names that file
#   np N                  run the case under `MPIRUN N`; without it the binary runs alone
#                         (run and probe then start MPI as a singleton: world size 1)
#   cmd WORDS             the command line after the binary, read with bash quoting;
#                         $DIR, $IN and $CONFIG in it are expanded
#   expect TEXT           a substring stderr must hold (any number of lines); $DIR, $IN
#                         and $CONFIG in it stand for those paths
# Lines starting with '#' and blank lines are ignored. $IN is a fresh folder of the
# case's input files, $DIR a fresh empty folder for its outputs that must still be empty
# afterwards. run and probe get --device cpu, --quiet and --out $DIR/out.json unless the
# case gives those options itself. mpirun costs about a second per case, so only the cases
# that need several ranks (or check the ranks' agreement) give np.
# Each case runs under `timeout` (a hang fails it). Prints one line per case, then
# "N passed, M failed"; exits 1 when any case failed, when a case is malformed or when
# two cases share a name.
set -uo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY MPIRUN TABLE" >&2
  exit 2
fi
binary=$1
mpirun=$2
table=$3
[ -d "$table" ] && table=$table/cases.txt
case_timeout=60

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
declare -A seen=()

# $1 with $DIR, $IN and $CONFIG replaced by the current case's paths.
substitute() {
  local s=$1
  s=${s//\$DIR/$DIR}
  s=${s//\$IN/$IN}
  s=${s//\$CONFIG/$CONFIG}
  printf '%s' "$s"
}

has_word() {  # has_word WORD... -- ARGS: whether ARGS holds any of the WORDs
  local -a words=()
  while [ "$1" != -- ]; do words+=("$1"); shift; done
  shift
  local a w
  for a in "$@"; do
    for w in "${words[@]}"; do [ "$a" = "$w" ] && return 0; done
  done
  return 1
}

run_case() {
  local problems=()
  if [ -n "${seen[$name]:-}" ]; then problems+=("a second case named $name"); fi
  seen[$name]=1
  local args=()
  if ! eval "args=($cmd)" 2>"$work/$name.eval"; then problems+=("cmd is not valid bash words: $cmd"); fi
  [ ${#args[@]} -gt 0 ] || problems+=("no cmd line")
  [ ${#expects[@]} -gt 0 ] || problems+=("no expect line")

  local launch=() extra=()
  [ -n "$np" ] && launch=("$mpirun" "$np")
  case ${args[0]:-} in
    run | probe)
      has_word --device -- "${args[@]}" || extra+=(--device cpu)
      has_word -q --quiet -- "${args[@]}" || extra+=(--quiet)
      has_word -o --out -- "${args[@]}" || extra+=(--out "$DIR/out.json")
      ;;
  esac

  local rc=0
  if [ ${#problems[@]} -eq 0 ]; then
    timeout "$case_timeout" "${launch[@]}" "$binary" "${args[@]}" "${extra[@]}" \
      </dev/null >"$work/$name.stdout" 2>"$work/$name.stderr"
    rc=$?
    if [ "$rc" -eq 124 ]; then
      problems+=("hung: killed after ${case_timeout}s")
    elif [ "$rc" -ne 2 ]; then
      problems+=("exit code $rc, expected 2")
    fi
    grep -qF -- "cpbench: error: " "$work/$name.stderr" || problems+=("no 'cpbench: error: ' line on stderr")
    local line
    for line in "${expects[@]}"; do
      line=$(substitute "$line")
      grep -qF -- "$line" "$work/$name.stderr" || problems+=("stderr lacks: $line")
    done
    local written
    written=$(find "$DIR" -mindepth 1 -printf '%P ')
    [ -z "$written" ] || problems+=("files were written: $written")
  fi

  if [ ${#problems[@]} -eq 0 ]; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    local p
    for p in "${problems[@]}"; do echo "     $p"; done
    if [ -f "$work/$name.stderr" ]; then
      echo "     stderr:"
      sed 's/^/       /' "$work/$name.stderr"
    fi
  fi
}

name=""
flush() {
  [ -n "$name" ] && run_case
  name=""
}

while IFS= read -r line || [ -n "$line" ]; do
  case $line in '' | '#'*) continue ;; esac
  key=${line%% *}
  rest=""
  [ "$key" != "$line" ] && rest=${line#* }
  case $key in
    case)
      flush
      name=$rest
      DIR=$work/$name/out
      IN=$work/$name/in
      CONFIG=$IN/config.json
      mkdir -p "$DIR" "$IN"
      np=""
      cmd=""
      expects=()
      ;;
    file | config)
      [ "$key" = config ] && rest="config.json $rest"
      file=${rest%% *}
      text=""
      [ "$file" != "$rest" ] && text=${rest#* }
      printf '%s' "$text" >"$IN/$file"
      ;;
    np) np=$rest ;;
    cmd) cmd=$rest ;;
    expect) expects+=("$rest") ;;
    *)
      echo "$table: unknown line: $line" >&2
      failed=$((failed + 1))
      ;;
  esac
  if [ -z "$name" ] && [ "$key" != case ]; then
    echo "$table: a '$key' line before the first case" >&2
    failed=$((failed + 1))
  fi
done <"$table"
flush

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
