#!/usr/bin/env bash
# End-to-end replay benchmark: generates a replay file (5 M rows by default) and times
# `window-tui replay --sink json` against `wc -l` on the same file, with peak memory.
#
# Usage: bench/replay.sh [ROWS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-5000000}
runs=${2:-5}
work=${BENCH_DIR:-target/bench}
mkdir -p "$work"
file="$work/events-$rows.csv"

cargo build --release --quiet --bin window-tui --example gen_events
[ -f "$file" ] || target/release/examples/gen_events "$rows" "$file"
bin=target/release/window-tui

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# Runs a command RUNS times; prints "median_seconds peak_kb".
measure() {
  local times=() peak=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null
    read -r secs kb < "$work/time.txt"
    times+=("$secs"); [ "$kb" -gt "$peak" ] && peak=$kb
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | median)" "$peak"
}

cat "$file" > /dev/null # warm the page cache for both
read -r wc_s wc_kb < <(measure wc -l "$file")
read -r rp_s rp_kb < <(measure "$bin" replay "$file" --sink json)
awk -v rows="$rows" -v wc="$wc_s" -v rp="$rp_s" -v kb="$rp_kb" -v size="$(stat -c %s "$file")" 'BEGIN {
  printf "%-34s %12s %14s %10s\n", "replay of " rows " rows (" int(size / 1e6) " MB)", "median (s)", "rows/s", "peak RSS"
  printf "%-34s %12.3f %14s %10s\n", "wc -l", wc, sprintf("%.1f M", rows / (wc > 0 ? wc : 0.001) / 1e6), "-"
  printf "%-34s %12.3f %14s %8.1f MB\n", "window-tui replay --sink json", rp, sprintf("%.1f M", rows / rp / 1e6), kb / 1024
  printf "%-34s %12.1fx\n", "replay / wc -l", rp / (wc > 0 ? wc : 0.001)
}'
