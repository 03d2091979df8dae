//! A live run recorded (`--record`) and replayed gives the same rows in the same batches with
//! the same progress figures: the seed's lines, idle ticks, and JSON lines of the query family.

use super::*;

/// The fields of a progress report that a replay must reproduce.
fn progress_figures(p: &Value) -> Value {
    let state = &p["stateOperators"][0];
    serde_json::json!({
        "batchId": p["batchId"],
        "numInputRows": p["numInputRows"],
        "watermark": p["eventTime"]["watermark"],
        "numRowsTotal": state["numRowsTotal"],
        "numRowsUpdated": state["numRowsUpdated"],
        "numRowsRemoved": state["numRowsRemoved"],
        "numRowsDroppedByWatermark": state["numRowsDroppedByWatermark"],
    })
}

/// The query options shared by the live run and its replay.
const QUERY: [&str; 6] = ["--window", "1s", "--slide", "500ms", "--watermark", "200ms"];

/// Replays `record` with `QUERY` and the json sink; returns its rows and progress figures.
fn replay(dir: &Path, record: &Path) -> (Bag<Row>, Vec<Value>) {
    let progress = dir.join("replay-progress.jsonl");
    let replayed = Running::spawn(
        window_tui_in(dir)
            .args(["replay", path_arg(record), "--sink", "json"])
            .args(QUERY)
            .args(["--progress", path_arg(&progress)]),
    )
    .wait(T);
    assert!(
        replayed.status.success(),
        "{:?}\n{}",
        replayed.status,
        replayed.stderr
    );
    (
        json_rows(&replayed.stdout).unwrap(),
        read_progress(&progress)
            .iter()
            .map(progress_figures)
            .collect(),
    )
}

/// A live run over the embedded server (`--delay DELAY --count COUNT`), recorded, ends by itself;
/// replaying the record with the same query emits the same rows in the same batches with the
/// same progress figures. Returns the live progress figures.
fn record_then_replay(delay: &str, count: usize) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let progress = dir.path().join("prog.jsonl");
    let count_arg = count.to_string();
    let live = Running::spawn(
        window_tui_in(dir.path())
            .args(["--headless", "--delay", delay, "--count", &count_arg])
            .args(["--trigger", "100ms", "--sink", "json"])
            .args(QUERY)
            .args(["--record", path_arg(&record)])
            .args(["--progress", path_arg(&progress)])
            .args(["--checkpoint", path_arg(&dir.path().join("checkpoint"))]),
    )
    .wait(T);
    assert!(live.status.success(), "{:?}\n{}", live.status, live.stderr);
    assert!(
        !live.stderr.contains("not a terminal"),
        "--headless was given: {}",
        live.stderr
    );

    let recorded = read_record(&record);
    assert_eq!(recorded.len(), count, "the embedded server's whole program");
    for (_, _, value) in &recorded {
        let v: u32 = value.parse().unwrap();
        assert!(v <= 10, "{v}");
    }
    let ticks: BTreeSet<u64> = recorded.iter().map(|r| r.0).collect();
    assert!(
        ticks.len() >= 5,
        "2 s of data at a 100 ms trigger spread over ticks {ticks:?}"
    );
    let (batches, rows, rejected) = headless_summary(&live.stderr);
    assert_eq!((rows, rejected.as_str()), (count as u64, "none"));

    let live_rows = json_rows(&live.stdout).unwrap();
    let live_progress: Vec<Value> = read_progress(&progress)
        .iter()
        .map(progress_figures)
        .collect();
    assert_eq!(live_progress.len() as u64, batches);
    assert!(
        !live_rows.is_empty(),
        "windows closed during the run:\n{}",
        live.stderr
    );
    let input: u64 = live_progress
        .iter()
        .map(|p| p["numInputRows"].as_u64().unwrap())
        .sum();
    assert_eq!(input, count as u64);

    let (replay_rows, replay_progress) = replay(dir.path(), &record);
    diff("replay vs live", &live_rows, &replay_rows).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay_progress, live_progress);
    live_progress
}

#[test]
fn a_recorded_live_run_replays_identically() {
    record_then_replay("5ms", 400);
}

/// Lines slower than the trigger: some ticks have no rows and run no-data batches, which the
/// replay runs for the gaps in the record's tick numbers.
#[test]
fn a_recorded_live_run_with_idle_ticks_replays_identically() {
    let progress = record_then_replay("150ms", 14);
    let no_data = progress[..progress.len() - 1]
        .iter()
        .filter(|p| p["numInputRows"] == 0)
        .count();
    assert!(
        no_data >= 1,
        "no-data batches between data batches expected: {progress:#?}"
    );
}

/// The query family live: JSON lines with an event-time field, per-user aggregates; the run is
/// recorded, and replaying the record (no `--format`: the record is typed CSV) emits exactly
/// the live run's rows, batch by batch, with the same progress figures. A malformed line is
/// rejected with its reason, never recorded.
#[test]
fn a_recorded_live_json_run_replays_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..120u32 {
        let user = ["ana", "bo", "chen", "dara"][(i * 7 % 4) as usize];
        let ms = 1_795_455_180_000_u64 + u64::from(i) * 400 - u64::from(i % 9 == 0) * 3_000;
        let ts = chrono::DateTime::from_timestamp_millis(ms as i64).unwrap();
        let bytes = if i % 13 == 0 {
            "null".to_string()
        } else {
            (i * 37 % 1500).to_string()
        };
        let ts = ts.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        writeln!(lines, r#"{{"ts":"{ts}","user":"{user}","bytes":{bytes}}}"#).unwrap();
        if i == 50 {
            lines.push_str("{\"ts\": not json\n");
        }
    }
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, lines).unwrap();
    let query = [
        "--schema",
        "ts TIMESTAMP, user STRING, bytes LONG",
        "--event-time",
        "ts",
        "--group-by",
        "user",
        "--agg",
        "count,sum(bytes),avg(bytes),min(bytes),max(bytes)",
        "--window",
        "10 seconds",
        "--slide",
        "5 seconds",
        "--watermark",
        "2 seconds",
        "--sink",
        "json",
    ];
    let (record, progress) = (dir.path().join("rec.csv"), dir.path().join("live.jsonl"));
    let live = Running::spawn(
        window_tui_in(dir.path())
            .args(["--headless", "--no-checkpoint", "--format", "json"])
            .args(["--generator", "file", "--file", path_arg(&file)])
            .args(["--delay", "3ms", "--trigger", "100ms"])
            .args(query)
            .args(["--record", path_arg(&record)])
            .args(["--progress", path_arg(&progress)]),
    )
    .wait(T);
    assert!(live.status.success(), "{}", live.stderr);
    let (_, rows, rejected) = headless_summary(&live.stderr);
    assert_eq!(
        (rows, rejected.as_str()),
        (120, "1 not a JSON object"),
        "{}",
        live.stderr
    );
    let header = std::fs::read_to_string(&record).unwrap();
    assert!(header.starts_with("batch,ts,user,bytes\n"), "{header}");

    let replay_progress = dir.path().join("replay.jsonl");
    let replayed = Running::spawn(
        window_tui_in(dir.path())
            .args(["replay", path_arg(&record)])
            .args(query)
            .args(["--progress", path_arg(&replay_progress)]),
    )
    .wait(T);
    assert!(replayed.status.success(), "{}", replayed.stderr);
    let sorted = |stdout: &str| {
        let mut lines: Vec<&str> = stdout.lines().collect();
        lines.sort_unstable();
        lines.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let live_rows = sorted(&live.stdout);
    assert!(
        live_rows.len() > 10,
        "windows closed during the run: {live_rows:?}"
    );
    assert!(
        live_rows.iter().any(|l| l.contains("\"sum(bytes)\":")),
        "{live_rows:?}"
    );
    assert_eq!(
        live_rows,
        sorted(&replayed.stdout),
        "the replay's rows are the live run's"
    );
    let figures =
        |path: &Path| -> Vec<Value> { read_progress(path).iter().map(progress_figures).collect() };
    assert_eq!(figures(&progress), figures(&replay_progress));
}
