//! The examples `--help` prints after the options, per command. Each line that starts with
//! `window-tui` (with the lines it continues onto, ending in `\`) is run by a test, so every
//! example works as written; and every line fits 80 columns, so that a terminal that wide does
//! not wrap a command where a paste would break it.

pub(super) const MAIN_EXAMPLES: &str = "\
Examples:
  window-tui                                   the dashboard, embedded server
  window-tui --headless --sink console         Spark's `Batch: N` tables
  window-tui --headless --sink file --output out --trigger 10s
  window-tui --source localhost:9999           another server: `nc -lk 9999`
  window-tui --record run.csv                  record it, to replay it later
  window-tui --format json --source localhost:9999 \\
    --schema 'ts TIMESTAMP, user STRING, bytes LONG' --event-time ts \\
    --group-by user --agg 'count,sum(bytes),avg(bytes)'
  window-tui --session-gap '10 seconds' --output-mode complete \\
    --headless --sink console
  window-tui serve --port 9999                 the stream server alone
  window-tui replay run.csv --sink json        a recorded stream
  window-tui export-spark -o job.py            the same query as a PySpark job

Durations are written as Spark writes them: `30 seconds`, `1 minute`, `500 milliseconds`, or
`30s`, `1m`, `500ms`. Every option can also be set from the environment: --window is
WINDOW_TUI_WINDOW, --sink is WINDOW_TUI_SINK=console,file, --headless is WINDOW_TUI_HEADLESS=1
(1/0, true/false, yes/no, on/off), and so on. `window-tui completions bash|zsh|fish` prints
shell completions, `window-tui man` the manual page.

Exit status: 0 on success, 2 on bad usage or input, 1 on any other failure.";

pub(super) const REPLAY_EXAMPLES: &str = "\
Examples:
  window-tui replay events.csv --sink console
  window-tui replay events.csv --window '25 seconds' --slide '10 seconds' \\
    --watermark 5s --sink json
  window-tui replay events.csv --sink file --output out \\
    --progress progress.jsonl
  window-tui replay events.csv --sink json --on-bad-row skip | jq .
  window-tui replay events.csv                 step through it in the dashboard

  window-tui replay run.csv --schema 'ts TIMESTAMP, user STRING, bytes LONG' \\
    --event-time ts --group-by user --agg 'max(bytes)' \\
    --output-mode complete --sink console

The file is CSV with the header `batch,<columns>` (RFC 4180 quoting, `\\N` is NULL): `batch` is
the trigger tick a row arrived in, then the query's columns, as `--record` writes them. The
seed's files are `batch,event_time,value`: `event_time` in RFC 3339
(2026-11-23T17:33:14.999999Z), `value` any string. Without --schema every column is a STRING
but the event time's, a TIMESTAMP.";

pub(super) const SERVE_EXAMPLES: &str = "\
Examples:
  window-tui serve                             0..10 every 2 s on 127.0.0.1:9999
  window-tui serve --delay 100ms --count 50 --repeat 3
  window-tui serve --output file --file assets/sample-values.txt
  window-tui serve --host 0.0.0.0 --port 9999  reachable from other machines";

pub(super) const EXPORT_EXAMPLES: &str = "\
Examples:
  window-tui export-spark -o job.py && spark-submit --master local[2] job.py
  window-tui export-spark --source stream-host:9999 --sink file \\
    --output /data/out -o job.py
  window-tui export-spark --replay-dir staged --stage run.csv -o job.py
  window-tui export-spark --window '1 minute' --slide 20s --watermark 10s | less
  window-tui export-spark --format json \\
    --schema 'ts TIMESTAMP, user STRING, bytes LONG' --event-time ts \\
    --group-by user --agg 'count,sum(bytes)' --session-gap '30 seconds' \\
    --output-mode complete -o sessions.py

The job targets Apache Spark 3.5 (PySpark 3.5.3) and runs the same query: it reads the stream
server (the socket source, each line parsed with the same --format and --schema) or, with
--replay-dir, CSV files of the query's columns staged one per trigger tick (--stage stages a
replay file's batches there); it takes --master
(default local[*]), --sink, --time-zone and --clean. Its docstring says how to run it.";

pub(super) const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  window-tui completions bash \\
    > ~/.local/share/bash-completion/completions/window-tui
  window-tui completions zsh > ~/.zfunc/_window-tui  (fpath+=~/.zfunc first)
  window-tui completions fish > ~/.config/fish/completions/window-tui.fish";
