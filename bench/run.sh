#!/usr/bin/env bash
# The end-to-end benchmark of issue 6: generates its inputs under target/bench/, measures every
# target (replay, micro-batch overhead, socket ingest, long runs and state size, dashboard,
# latency, Spark), and prints one table: what | target | measured | met?, with a line under each
# row saying how it was measured. The table is also written as Markdown to
# target/bench/results.md.
#
# Usage: bench/run.sh [SECTION...]     SECTION: replay shapes overhead socket family long dashboard
#                                      latency spark
#                                      (default: all, in that order)
# Environment:
#   BENCH_QUICK=1      sizes ~10x smaller, 3 runs, 1 Spark run: a smoke run of ~1.5 minutes
#   BENCH_RUNS=N       runs per timing, the MEDIAN is reported (default 5; 3 in quick mode)
#   BENCH_SLOW_RUNS=N  runs of the slow timings: socket ingest with a checkpoint and Spark
#                      (default 3; 1 in quick mode)
#   BENCH_ROWS=N       rows of the replay file (default 5000000; 500000 in quick mode)
#   BENCH_OLAP=0       no DuckDB and Polars beside the shapes (by default a venv under the scratch
#                      folder gets them from PyPI; without network their rows say skipped)
#   BENCH_DIR=DIR      scratch folder (default target/bench)
#
# The machine has 2 cores and timing noise is high (a VM): every time figure is the median of
# several runs, and the table says how many. Nothing here needs more than bash, coreutils,
# GNU time (/usr/bin/time), python3 (standard library) and tmux; PySpark, DuckDB and Polars are
# optional.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
started=$(date +%s)

quick=${BENCH_QUICK:-0}
[ "$quick" = 0 ] || quick=1
q() { if [ "$quick" = 1 ]; then echo "$2"; else echo "$1"; fi; } # q FULL QUICK
runs=${BENCH_RUNS:-$(q 5 3)}
slow_runs=${BENCH_SLOW_RUNS:-$(q 3 1)}
rows=${BENCH_ROWS:-$(q 5000000 500000)}
ov_ticks=$(q 20000 2000)  # micro-batch overhead: rows, one per tick (plus an idle tick per 3)
ov_ck_ticks=$(q 750 150)  # the same with a checkpoint (two fdatasynced appends a batch)
sock_lines=$(q 50000000 5000000)
long_rows=$(q 100000000 10000000)
keys=$(q 1000000 100000)
dash_idle_s=$(q 60 20)
dash_feed_s=$(q 20 3)
lat_count=$(q 1500 300)

mkdir -p "${BENCH_DIR:-target/bench}"
work=$(cd "${BENCH_DIR:-target/bench}" && pwd)
export BENCH_WORK=$work
bin=$root/target/release/window-tui
gen=$root/target/release/examples/gen_events
values_floor=$root/target/release/examples/values_floor
seed_floor=$root/target/release/examples/seed_floor
round_trip=$root/target/release/examples/core_round_trip
results=$work/results.tsv
: > "$results"
log() { printf '[%4ds] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
py() { python3 "$root/bench/bench.py" "$@"; }
calc() { awk "BEGIN { $1 }"; }
# row WHAT TARGET MEASURED MET HOW (HOW gets the cores' last round trip)
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5; cores' round trip: $trip_ns ns" >> "$results"; }
# trip: measures the cores' round trip (examples/core_round_trip.rs), for the rows after it. The
# VM's host puts its two cores on one cache (near 60 ns) or apart (300-450 ns); a figure taken
# with two threads can be three times slower apart.
trip_ns=-
trips=()
trip() {
  trip_ns=$("$round_trip")
  trips+=("$trip_ns")
  log "the cores' round trip: $trip_ns ns"
}
yesno() { if calc "exit !($1)"; then echo yes; else echo no; fi; }
mps() { calc "printf \"%.1f M/s\", $1 / 1e6"; } # a rate in M/s

# Everything started in the background is remembered and ended on exit, by pid.
pids=()
tmux_sock=window-tui-bench-$$
cleanup() {
  local p
  for p in "${pids[@]+"${pids[@]}"}"; do
    kill -0 "$p" 2> /dev/null && kill "$p" 2> /dev/null || true
  done
  tmux -L "$tmux_sock" kill-server 2> /dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_file() { # wait_file PATH SECONDS
  local i
  for i in $(seq $(($2 * 20))); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "timed out waiting for $1" >&2
  return 1
}

# start_sender LINES RATE TAG [FLAG...]: the loopback sender (bench/sender.py) on a free port;
# sets sender_pid, port, and times_file (written when all lines are sent).
start_sender() {
  local portf=$work/$3.port
  times_file=$work/$3.times
  rm -f "$portf" "$times_file"
  python3 "$root/bench/sender.py" "$1" --rate "$2" --port-file "$portf" \
    --times-file "$times_file" --wait-s 60 "${@:4}" &
  sender_pid=$!
  pids+=("$sender_pid")
  wait_file "$portf" 10
  port=$(cat "$portf")
}

# tmux_start NAME COMMAND...: runs COMMAND in a 120x40 tmux window of a private server; sets
# dash_pid (window-tui's pid: the pane's shell runs it as a child and then records its exit
# status in $work/NAME.rc).
tmux_start() {
  local name=$1 pane i
  shift
  rm -f "$work/$name.rc"
  tmux -L "$tmux_sock" -f /dev/null new-session -d -s "$name" -x 120 -y 40 -c "$work" \
    "$(printf '%q ' "$@"); echo \$? > $(printf '%q' "$work/$name.rc")"
  pane=$(tmux -L "$tmux_sock" display-message -p -t "$name" '#{pane_pid}')
  dash_pid=
  for i in $(seq 100); do
    dash_pid=$(cat "/proc/$pane/task/$pane/children" 2> /dev/null | awk '{ print $1 }')
    [ -n "$dash_pid" ] && break
    sleep 0.05
  done
  [ -n "$dash_pid" ] || { echo "the dashboard did not start in tmux" >&2; return 1; }
  pids+=("$dash_pid")
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime
wait_gone() { # wait_gone PID SECONDS
  local i
  for i in $(seq $(($2 * 20))); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.05; done
  return 1
}

sections=${*:-replay shapes overhead socket family long dashboard latency spark}
has() { [[ " $sections " == *" $1 "* ]]; }

# --- build ---------------------------------------------------------------------------------------
log "building (cargo build --release --bin window-tui --examples)"
cargo build --release --quiet --bin window-tui --examples
ui_bench=missing
if has dashboard && [ -f benches/ui.rs ]; then
  log "building the criterion bench (cargo bench --bench ui --no-run)"
  if cargo bench --quiet --bench ui --no-run > "$work/criterion-build.txt" 2>&1; then
    ui_bench=built
  else
    ui_bench=failed
  fi
fi
measure_start=$(date +%s)
log "measuring: runs=$runs slow_runs=$slow_runs quick=$quick work=$work"

events=$work/events-$rows.csv
make_events() { [ -s "$events" ] || "$gen" "$rows" "$events"; }
rm -f "$work"/events-*.csv

# --- 1. replay ------------------------------------------------------------------------------------
rp_rate=
if has replay; then
  trip
  log "1. replay of $rows rows vs wc -l"
  make_events
  cat "$events" > /dev/null # the page cache holds it for both
  read -r wc_s _ _ < <(py time "$runs" -- wc -l "$events")
  read -r rp_s rp_kb _ < <(py time "$runs" -- "$bin" replay "$events" --sink json)
  rp_rate=$(calc "print $rows / $rp_s")
  mb=$(calc "printf \"%.0f\", $(stat -c %s "$events") / 1e6")
  row "1a replay --sink json, $rows rows" ">= 25 M events/s" \
    "$(mps "$rp_rate") ($(calc "printf \"%.3f\", $rp_s") s)" "$(yesno "$rp_rate >= 25e6")" \
    "window-tui replay FILE --sink json > /dev/null, $mb MB file in the page cache, 30s/15s/15s; median of $runs wall times"
  ratio=$(calc "print $rp_s / $wc_s")
  row "1b replay time / wc -l time" "<= 4x" \
    "$(calc "printf \"%.1fx (%.3f s vs %.3f s)\", $ratio, $rp_s, $wc_s")" "$(yesno "$ratio <= 4")" \
    "wc -l on the same file, median of $runs; wc reads at $(mps "$(calc "print $rows / $wc_s")")"
  row "1c replay peak memory" "< 64 MB" "$(calc "printf \"%.1f MB\", $rp_kb / 1024")" \
    "$(yesno "$rp_kb < 65536")" "max RSS (GNU time %M) over the $runs replay runs"
fi

# --- 9. the performance issue's shapes, as ratios to wc -l of the same file ----------------------
if has shapes; then
  trip
  make_events
  cat "$events" > /dev/null
  # DuckDB and Polars beside window-tui (bench/olap_bench.py), from a venv made here; skipped,
  # with the reason in the table, when it cannot be made (no network, say) or BENCH_OLAP=0.
  olap_python=
  olap_why="BENCH_OLAP=0"
  if [ "${BENCH_OLAP:-1}" != 0 ]; then
    venv=$work/olap-venv
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import duckdb, polars' 2> /dev/null; then
      olap_python=$venv/bin/python
    else
      log "9. making $venv (pip install duckdb polars)"
      if python3 -m venv "$venv" > "$work/olap-venv.log" 2>&1 &&
        timeout 600 "$venv/bin/pip" install --quiet duckdb polars >> "$work/olap-venv.log" 2>&1; then
        olap_python=$venv/bin/python
      else
        olap_why="no venv with duckdb and polars (see $work/olap-venv.log)"
      fi
    fi
  fi
  # olap ENGINE LABEL WHAT FILE WC_SECONDS WT_SECONDS WINDOW_US SLIDE_US: one row for ENGINE
  olap() {
    local engine=$1 label=$2 what=$3 file=$4 wc=$5 wt=$6 out s n
    log "9$label. $engine: $what"
    if [ -z "$olap_python" ]; then
      row "9$label $engine, $what" "(reference)" "skipped: $olap_why" "-" "bench/olap_bench.py"
      return
    fi
    if out=$(timeout 900 "$olap_python" "$root/bench/olap_bench.py" "$engine" "$file" \
      --window-us "$7" --slide-us "$8" --runs "$slow_runs" 2> "$work/olap.log"); then
      read -r s n _ <<< "$out"
      row "9$label $engine, $what" "(reference)" \
        "$(calc "printf \"%.3f s: %.1fx wc -l, %.1fx window-tui's time\", $s, $s / $wc, $s / $wt")" "-" \
        "bench/olap_bench.py $engine: counts per (pane, value), then per window, written as CSV ($n rows; no watermark, so the windows window-tui holds open are in); median of $slow_runs, in-process"
    else
      row "9$label $engine, $what" "(reference)" "failed (see $work/olap.log)" "-" "bench/olap_bench.py"
    fi
  }
  shape() { # shape LABEL WHAT FILE MAX_RATIO MIN_RATE WINDOW_US SLIDE_US [FLAGS...]
    local label=$1 what=$2 file=$3 max_ratio=$4 min_rate=$5 window_us=$6 slide_us=$7 wc s rate ratio
    shift 7
    trip
    log "9$label. $what"
    # wc -l and the replay alternate: the VM's speed drifts between two series of runs.
    read -r wc s < <(py time-pair "$runs" -- wc -l "$file" -- "$bin" replay "$file" --sink json "$@")
    shape_s=$s
    rate=$(calc "print $rows / $s")
    ratio=$(calc "print $s / $wc")
    row "9$label $what" "<= ${max_ratio}x wc -l$([ "$min_rate" = 0 ] || echo ", >= $(mps "$min_rate")")" \
      "$(calc "printf \"%.1fx (%.3f s vs %.3f s), \", $ratio, $s, $wc")$(mps "$rate")" \
      "$(yesno "$ratio <= $max_ratio && $rate >= $min_rate")" \
      "window-tui replay FILE --sink json${*:+ $*} > /dev/null, alternating with wc -l FILE; $rows rows; medians of $runs"
    olap duckdb "$label" "$what" "$file" "$wc" "$s" "$window_us" "$slide_us"
    olap polars "$label" "$what" "$file" "$wc" "$s" "$window_us" "$slide_us"
  }
  # floor_row LABEL WHAT FILE HOW PROGRAM [ARGS...]: the least work shape LABEL's query takes,
  # alternating with wc -l FILE, beside window-tui's time on that shape (the last shape's).
  floor_row() {
    local label=$1 what=$2 file=$3 how=$4 program=$5 wc s
    shift 5
    trip
    log "9$label. floor: $what"
    read -r wc s < <(py time-pair "$runs" -- wc -l "$file" -- "$program" "$file" "$@")
    row "9$label floor, $what" "(reference)" \
      "$(calc "printf \"%.3f s: %.1fx wc -l, %.1f M/s; window-tui takes %.1fx its time\", $s, $s / $wc, $rows / $s / 1e6, $shape_s / $s")" "-" \
      "examples/$(basename "$program").rs FILE${*:+ $*} > /dev/null ($how), alternating with wc -l FILE; medians of $runs"
  }
  shape a "seed query" "$events" 2.5 0 30000000 15000000
  floor_row a "reading and counting alone, 2 threads" "$events" \
    "the file read on both threads as window-tui reads it, each row's tick compared, time parsed with window-tui's parser and (pane, value) counted; no validation, watermark, windows, late rows, statistics or output" \
    "$seed_floor"
  shape b "600 windows an event (10 minutes sliding every second)" "$events" 20 10e6 \
    600000000 1000000 --window "10 minutes" --slide "1 second"
  values_file=$work/values-$rows.csv
  [ -s "$values_file" ] || "$gen" "$rows" "$values_file" --values $((rows / 5))
  cat "$values_file" > /dev/null
  shape c "$((rows / 5)) distinct values, each seen 5 times" "$values_file" 25 5e6 \
    30000000 15000000
  # The least work 9c's query takes (examples/values_floor.rs: its counts and json lines alone),
  # on one core and split over both, for how far 9c's targets are from it in this sitting.
  values_how="no batches, late rows or progress; the same rows as window-tui's"
  floor_row c "the query's counts and json lines alone, 1 thread(s)" "$values_file" \
    "half its time is the least two cores could take for its work; $values_how" "$values_floor" 1
  floor_row c "the query's counts and json lines alone, 2 thread(s)" "$values_file" \
    "values split by hash, each thread reading the whole file; $values_how" "$values_floor" 2
  rm -f "$values_file"
fi

# --- 2. micro-batch overhead ----------------------------------------------------------------------
if has overhead; then
  trip
  log "2. micro-batch overhead ($ov_ticks one-row ticks; $ov_ck_ticks with a checkpoint)"
  overhead() { # overhead ROWS LABEL DESCRIPTION [FLAGS...]
    local n=$1 label=$2 desc=$3 f=$work/ticks-$1.csv p=$work/overhead.jsonl s batches idle
    shift 3
    # One row every 20 s of event time, one tick per 15 s: a row per tick, every 4th tick idle
    # (a no-data batch, since the watermark moved).
    "$gen" "$n" "$f" --step-us 20000000
    read -r s _ _ < <(py time "$runs" --fresh "$p" --fresh "$work/ck-overhead" -- \
      "$bin" replay "$f" --sink json --progress "$p" "$@")
    batches=$(wc -l < "$p")
    idle=$(grep -c '"numInputRows":0,' "$p" || true)
    local ms
    ms=$(calc "print $s * 1000 / $batches")
    row "2$label micro-batch cost, $desc" "< 1 ms a batch" \
      "$(calc "printf \"%.3f ms\", $ms") ($batches batches)" "$(yesno "$ms < 1")" \
      "wall time of replay --sink json --progress (median of $runs) / batches in the progress log; $((batches - idle)) one-row + $idle no-data batches"
    rm -f "$f"
  }
  overhead "$ov_ticks" a "no checkpoint"
  overhead "$ov_ck_ticks" b "--checkpoint DIR" --checkpoint "$work/ck-overhead"
  rm -rf "$work/ck-overhead"
fi

# socket_ingest LABEL RUNS DESCRIPTION [FLAGS...]; $ingest_target (lines/s) and the sender's
# flags $sender_flags (e.g. --json) say what is sent and what is expected.
socket_ingest() {
  local label=$1 n_runs=$2 desc=$3 p=$work/socket.jsonl i rates=() lost=0 secs=() sender=()
  local total rate s sender_s batches max_ms max_all=0
  shift 3
  for i in $(seq "$n_runs"); do
    rm -f "$p"
    rm -rf "$work/ck-socket"
    # shellcheck disable=SC2086
    start_sender "$sock_lines" 0 socket ${sender_flags:-}
    "$bin" --headless --source "127.0.0.1:$port" --sink json --trigger 100ms --progress "$p" \
      "$@" > /dev/null 2> "$work/socket.log" &
    local wpid=$!
    pids+=("$wpid")
    py wait-sum "$p" "$sock_lines" 300 --done "$times_file" --pid "$wpid" > /dev/null || true
    kill -TERM "$wpid" 2> /dev/null || true
    wait "$wpid" || log "window-tui exited $? (see $work/socket.log)"
    kill "$sender_pid" 2> /dev/null || true # still waiting for a reader that never came
    wait "$sender_pid" 2> /dev/null || true
    read -r total rate s sender_s batches max_ms < <(py ingest "$p" "$times_file" "$sock_lines")
    [ "$total" = "$sock_lines" ] || lost=$((lost + 1))
    rates+=("$rate") secs+=("$s") sender+=("$sender_s")
    max_all=$((max_ms > max_all ? max_ms : max_all))
  done
  rm -rf "$work/ck-socket"
  rate=$(py median "${rates[@]}")
  local met
  met=$(yesno "$rate >= ${ingest_target:-10e6} && $lost == 0")
  row "$label socket ingest, $desc" ">= $(calc "print ${ingest_target:-10e6} / 1e6") M lines/s, none lost" \
    "$(mps "$rate"), $([ "$lost" = 0 ] && echo "sum == N" || echo "LOST ROWS in $lost of $n_runs runs")" "$met" \
    "N = $sock_lines lines from 1 loopback connection, --headless --trigger 100ms; rate = N / (end of the batch completing N - sender's first send), median of $n_runs: $(py median "${secs[@]}") s (sender done in $(py median "${sender[@]}") s, largest batch ${max_all} ms)"
}

# --- 3. live socket ingest ------------------------------------------------------------------------
if has socket; then
  trip
  log "3a. socket ingest, $sock_lines lines, no checkpoint ($runs runs)"
  socket_ingest 3a "$runs" "--no-checkpoint" --no-checkpoint
  log "3b. socket ingest, $sock_lines lines, --checkpoint ($slow_runs runs)"
  socket_ingest 3b "$slow_runs" "--checkpoint DIR" --checkpoint "$work/ck-socket"
fi

# --- 8. the query family, output modes and sessions -----------------------------------------------
if has family; then
  trip
  users_file=$work/users-$rows.csv
  [ -s "$users_file" ] || "$gen" "$rows" "$users_file" --users 1000
  cat "$users_file" > /dev/null
  typed=(--schema "ts TIMESTAMP, user STRING, bytes LONG" --event-time ts --group-by user)
  aggs="count,sum(bytes),avg(bytes),min(bytes),max(bytes)"
  log "8a. replay of $rows rows (ts, user, bytes), 1000 users, five aggregates"
  read -r f_s _ _ < <(py time "$runs" -- "$bin" replay "$users_file" "${typed[@]}" --agg "$aggs" --sink json)
  f_rate=$(calc "print $rows / $f_s")
  row "8a replay, group by user, $aggs" ">= 15 M rows/s" \
    "$(mps "$f_rate") ($(calc "printf \"%.3f\", $f_s") s)" "$(yesno "$f_rate >= 15e6")" \
    "window-tui replay FILE --group-by user --agg ... --sink json > /dev/null; $rows rows, 1000 users, 30s/15s/15s; median of $runs"
  log "8b. sessions over the same file (append mode, 5 s gap)"
  read -r s_s _ _ < <(py time "$runs" -- "$bin" replay "$users_file" "${typed[@]}" --agg count --session-gap "5 seconds" --sink json)
  s_rate=$(calc "print $rows / $s_s")
  row "8b replay, session_window 5 s per user, count" ">= 10 M rows/s" \
    "$(mps "$s_rate") ($(calc "printf \"%.3f\", $s_s") s)" "$(yesno "$s_rate >= 10e6")" \
    "window-tui replay FILE --group-by user --session-gap \"5 seconds\" --sink json > /dev/null; $rows rows, 1000 users; median of $runs"
  log "9d. the same file, five aggregates over 10-minute windows sliding every second"
  read -r w_s _ _ < <(py time "$slow_runs" -- "$bin" replay "$users_file" "${typed[@]}" --agg "$aggs" \
    --window "10 minutes" --slide "1 second" --sink json)
  w_rate=$(calc "print $rows / $w_s")
  row "9d 600 windows an event, $aggs" ">= 10 M events/s (issue 15: as for count)" \
    "$(mps "$w_rate") ($(calc "printf \"%.3f\", $w_s") s)" "$(yesno "$w_rate >= 10e6")" \
    "window-tui replay FILE --group-by user --agg ... --window \"10 minutes\" --slide \"1 second\" --sink json > /dev/null; $rows rows, 1000 users; median of $slow_runs"
  make_events
  cat "$events" > /dev/null
  for mode in update complete; do
    # Alternate runs: the VM's speed drifts, and a ratio of two series run one after the
    # other measured the drift.
    read -r a_s m_s < <(py time-pair "$runs" -- "$bin" replay "$events" --sink json \
      -- "$bin" replay "$events" --sink json --output-mode "$mode")
    ratio=$(calc "print $a_s / $m_s")
    row "8$([ "$mode" = update ] && echo c || echo d) seed query in $mode mode vs append" ">= 80 % of append's speed" \
      "$(calc "printf \"%.0f %% (%.3f s vs %.3f s)\", 100 * $ratio, $m_s, $a_s")" "$(yesno "$ratio >= 0.8")" \
      "replay of the $rows-row seed file --sink json > /dev/null, --output-mode $mode vs append, runs alternating; median of $runs each"
  done
  log "8e. JSON socket ingest, $sock_lines lines"
  ingest_target=5e6 sender_flags=--json socket_ingest 8e "$runs" "JSON lines, 5 aggregates" --no-checkpoint \
    --format json --schema "user STRING, bytes LONG" --group-by user --agg "$aggs"
  rm -f "$users_file"
fi

# --- 4. long runs and state size ------------------------------------------------------------------
if has long; then
  trip
  log "4a. $long_rows events piped through replay, RSS every 0.5 s"
  fifo=$work/long.fifo
  samples=$work/long-rss.txt
  rm -f "$fifo" "$samples"
  mkfifo "$fifo"
  # The generator writes into a named pipe the replay reads: nothing is stored (the same as
  # `gen_events N /dev/stdout | window-tui replay /dev/stdin`, with both pids known).
  "$gen" "$long_rows" "$fifo" &
  gpid=$!
  pids+=("$gpid")
  t0=$(date +%s.%N)
  "$bin" replay "$fifo" --sink json > /dev/null &
  lpid=$!
  pids+=("$lpid")
  while kill -0 "$lpid" 2> /dev/null; do
    awk '/^VmRSS/ { print $2 }' "/proc/$lpid/status" 2> /dev/null >> "$samples" || true
    sleep 0.5
  done
  wait "$lpid"
  wait "$gpid"
  t1=$(date +%s.%N)
  rm -f "$fifo"
  read -r n_s first last max < <(awk '{ a[NR] = $1; if ($1 > m) m = $1 }
    END { i = int(NR / 10); if (i < 1) i = 1; print NR, a[i], a[NR], m }' "$samples")
  drift=$(calc "print ($last / $first - 1) * 100")
  row "4a memory over $long_rows events" "flat within 5 %" \
    "$(calc "printf \"%.1f -> %.1f MB (%+.1f %%), max %.1f MB\", $first / 1024, $last / 1024, $drift, $max / 1024")" \
    "$(yesno "$drift <= 5 && $drift >= -5")" \
    "gen_events | replay /dev/stdin --sink json, 11 values, $(calc "printf \"%.0f\", $t1 - $t0") s; VmRSS every 0.5 s ($n_s samples): at 10 % of the run -> at the end"

  log "4b. state per key: $keys distinct values in the same windows"
  kf=$work/keys-$keys.csv
  kp=$work/keys.jsonl
  py gen-distinct "$keys" "$kf"
  read -r _ peak_kb _ < <(py time "$runs" --fresh "$kp" -- "$bin" replay "$kf" --sink json --progress "$kp")
  read -r n_keys state_bytes _ < <(py state "$kp")
  head -2 "$kf" > "$work/keys-tiny.csv"
  read -r _ tiny_kb _ < <(py time "$runs" -- "$bin" replay "$work/keys-tiny.csv" --sink json)
  per_key=$(calc "print $state_bytes / $n_keys")
  row "4b state per open key (engine)" "< 200 B" "$(calc "printf \"%.0f B\", $per_key") ($n_keys keys)" \
    "$(yesno "$per_key < 200")" \
    "$keys distinct values within 1 s of event time = 2 windows each; memoryUsedBytes / numRowsTotal of the last data batch before emission (the engine's own accounting)"
  per_key_rss=$(calc "print ($peak_kb - $tiny_kb) * 1024 / $n_keys")
  row "4c state per open key (RSS)" "< 200 B" "$(calc "printf \"%.0f B\", $per_key_rss")" \
    "$(yesno "$per_key_rss < 200")" \
    "(peak RSS $(calc "printf \"%.1f\", $peak_kb / 1024") MB - RSS of a 1-row run $(calc "printf \"%.1f\", $tiny_kb / 1024") MB) / keys: everything the process holds, also input buffers, the value interner, allocator slack"
  rm -f "$kf" "$kp" "$work/keys-tiny.csv"
fi

# --- 5. dashboard ---------------------------------------------------------------------------------
if has dashboard; then
  trip
  log "5a. dashboard CPU at the seed's rate, ${dash_idle_s} s in tmux"
  tmux_start dash-a "$bin" --no-checkpoint --log "$work/dash-a.log"
  sleep 2 # start-up is not the steady state
  c0=$(cpu_ticks "$dash_pid")
  w0=$(date +%s.%N)
  sleep "$dash_idle_s"
  c1=$(cpu_ticks "$dash_pid")
  w1=$(date +%s.%N)
  tck=$(getconf CLK_TCK)
  tmux -L "$tmux_sock" send-keys -t dash-a q
  wait_gone "$dash_pid" 15 || log "the dashboard did not quit on q"
  cpu=$(calc "print ($c1 - $c0) / $tck / ($w1 - $w0) * 100")
  row "5a dashboard CPU, seed's rate" "< 1 % of a core" "$(calc "printf \"%.2f %%\", $cpu")" \
    "$(yesno "$cpu < 1")" \
    "window-tui --no-checkpoint (1 line / 2 s, 15 s trigger) in tmux 120x40; utime+stime from /proc/PID/stat over $(calc "printf \"%.0f\", $w1 - $w0") s ($((c1 - c0)) ticks of 1/$tck s)"

  log "5b. frame time (criterion)"
  case $ui_bench in
    missing) row "5b dashboard frame, 120x40, 1000 keys" "< 1 ms" "n/a (criterion bench missing)" "n/a" \
      "benches/ui.rs does not exist" ;;
    failed) row "5b dashboard frame, 120x40, 1000 keys" "< 1 ms" "n/a (criterion bench failed to build)" "n/a" \
      "cargo bench --bench ui --no-run failed: see $work/criterion-build.txt" ;;
    built)
      cargo bench --quiet --bench ui -- frame --warm-up-time 1 --measurement-time 3 --noplot \
        > "$work/criterion.txt" 2>&1 || true
      read -r frame_ms frame_name < <(py criterion "$work/criterion.txt") || true
      if [ -n "${frame_ms:-}" ]; then
        row "5b dashboard frame, 120x40, 1000 keys" "< 1 ms" "$(calc "printf \"%.3f ms\", $frame_ms")" \
          "$(yesno "$frame_ms < 1")" \
          "cargo bench --bench ui -- frame: criterion's middle estimate of \"$frame_name\" (ratatui TestBackend)"
      else
        row "5b dashboard frame, 120x40, 1000 keys" "< 1 ms" "n/a (no result in criterion's output)" "n/a" \
          "see $work/criterion.txt"
      fi ;;
  esac

  log "5c. dashboard fed ~1 M lines/s for ${dash_feed_s} s"
  feed=$((dash_feed_s * 1000000))
  dp=$work/dash-c.jsonl
  rm -f "$dp"
  start_sender "$feed" 1000000 dash-c
  tmux_start dash-c "$bin" --source "127.0.0.1:$port" --trigger 1s --progress "$dp" \
    --no-checkpoint --log "$work/dash-c.log"
  py wait-sum "$dp" "$feed" $((dash_feed_s + 60)) --done "$times_file" --pid "$dash_pid" \
    > /dev/null || true
  kill "$sender_pid" 2> /dev/null || true # done by now, unless the dashboard never connected
  wait "$sender_pid" 2> /dev/null || true
  sleep 1 # a look at the counters after the last batch, as a person would
  tmux -L "$tmux_sock" send-keys -t dash-c q
  quit=clean
  wait_gone "$dash_pid" 20 || quit="did not quit within 20 s"
  rc=$(cat "$work/dash-c.rc" 2> /dev/null || echo "?")
  [ "$quit" = clean ] && [ "$rc" != 0 ] && quit="exit status $rc"
  read -r dsum drate doverall dmax dsent < <(py dash-rate "$dp" "$times_file" 1000)
  met=$(yesno "$dsum == $feed && $drate >= 0.95 * $dsent && $dmax < 1000")
  [ "$quit" = clean ] || met=no
  row "5c dashboard at ~1 M lines/s" "keeps up, none lost" \
    "$(mps "$drate") in, $([ "$dsum" = "$feed" ] && echo "sum == sent" || echo "sum $dsum of $feed"), quit $quit" "$met" \
    "sender paced at $(mps "$dsent") for ${dash_feed_s} s; median inputRowsPerSecond of the inner 1 s batches (overall $(mps "$doverall")); largest batch ${dmax} ms of the 1 s trigger; q pressed, exit status $rc"
fi

# --- 6. latency -----------------------------------------------------------------------------------
if has latency; then
  trip
  log "6. emission latency (embedded server, $lat_count lines 10 ms apart, 200 ms trigger)"
  lp=$work/latency.jsonl
  lj=$work/latency-rows.jsonl
  rm -f "$lp"
  "$bin" --headless --delay 10ms --count "$lat_count" --window 2s --slide 1s --watermark 500ms \
    --trigger 200ms --sink json --progress "$lp" --no-checkpoint > "$lj" 2> "$work/latency.log"
  read -r lmax lmed lwin lbatches llate < <(py latency "$lp" "$lj" 200)
  row "6 emission latency" "<= 1 trigger (200 ms)" "max $lmax ms, median $lmed ms" \
    "$(yesno "$lwin > 0 && $lmax <= 202")" \
    "per emitted window: end of its batch - end of the batch that moved the watermark past its end (progress timestamp + triggerExecution); $lwin windows in $lbatches batches, $llate emitted a batch late; ms-truncated stamps, 2 ms allowed"
fi

# --- 7. Spark -------------------------------------------------------------------------------------
if has spark; then
  trip
  if python3 -c 'import pyspark' 2> /dev/null; then
    log "7. Spark 3.5 local[2] on the same file ($slow_runs runs in one JVM)"
    make_events
    if [ -z "$rp_rate" ]; then
      read -r rp_s _ _ < <(py time "$runs" -- "$bin" replay "$events" --sink json)
      rp_rate=$(calc "print $rows / $rp_s")
    fi
    out=$(timeout 900 python3 "$root/bench/spark_bench.py" "$events" "$work/spark" --runs "$slow_runs" \
      2> "$work/spark.log" | tail -1) || out="skipped (Spark failed or timed out: see $work/spark.log)"
    rm -rf "$work/spark"
    if [[ $out == ok* ]]; then
      read -r _ sp_s sp_rows sp_first _ <<< "$out"
      sp_rate=$(calc "print $sp_rows / $sp_s")
      row "7 Spark 3.5 local[2], same query and file" "(reference)" \
        "$(calc "printf \"%.2f M/s (%.2f s); window-tui %.0fx faster\", $sp_rate / 1e6, $sp_s, $rp_rate / $sp_rate")" "-" \
        "CSV stream source, whole file as 1 micro-batch (availableNow), noop sink, 2 shuffle partitions; only awaitTermination() timed, median of $slow_runs in one JVM (first run $sp_first s); window-tui figure from 1a"
    else
      row "7 Spark 3.5 local[2], same query and file" "(reference)" "${out:-skipped}" "-" "bench/spark_bench.py"
    fi
  else
    row "7 Spark 3.5 local[2], same query and file" "(reference)" "skipped (PySpark not installed)" "-" \
      "python3 -c 'import pyspark' failed"
  fi
fi
rm -f "$events"

# --- the table ------------------------------------------------------------------------------------
end=$(date +%s)
echo
echo "window-tui end-to-end benchmark (issue 6): $(nproc) cores, $(git rev-parse --short HEAD 2> /dev/null || echo '?')$(git diff --quiet 2> /dev/null || echo '+dirty'), $(date -u +%Y-%m-%dT%H:%MZ)$([ "$quick" = 1 ] && echo ', QUICK mode (sizes /10)')"
echo "times are medians of $runs runs ($slow_runs for 3b and 7); measuring took $((end - measure_start)) s, building $((measure_start - started)) s"
echo "the cores' round trip before each section and shape: ${trips[*]:--} ns (near 60: one shared cache; 300-450: apart, and two-thread figures up to 3x slower)"
echo
py table "$results" "$work/results.md"
{
  echo
  echo "$(nproc) cores; medians of $runs runs ($slow_runs for 3b and 7); measuring took $((end - measure_start)) s$([ "$quick" = 1 ] && echo '; QUICK mode (sizes /10)')."
  echo "The cores' round trip before each section and shape: ${trips[*]:--} ns (near 60: one shared cache; 300-450: apart, and two-thread figures up to 3x slower)."
} >> "$work/results.md"
echo
echo "Markdown: $work/results.md"
