//! Crash tests: a run with the file sink and a checkpoint is killed with SIGKILL at random moments,
//! restarted with the same command each time, and in the end its output must equal an
//! uninterrupted run's: no row missing, none twice.

mod common;

use std::fmt::Write as _;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use common::{Running, check_file_sink, hermetic, window_tui_in};

/// How many times each test kills the run.
const KILLS: usize = 30;
/// How many times [`Lives::measure`] times a run.
const MEASURES: usize = 3;

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The kill tests run one at a time: a run's life is scaled by timed runs ([`Lives`]), which
/// tests running beside it would slow down.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Takes [`ONE_AT_A_TIME`] (a test that failed holding it does not stop the others).
fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long a run lives before it is killed: its start-up, then `whole / KILLS` at most (half of
/// it on average) while [`KILLS`] kills are made, `whole` being one uninterrupted checkpointed
/// run's time, so that no machine, fast or slow, finishes the replay first and no kill lands
/// before the run has begun; then longer and longer, so that it does finish.
struct Lives {
    start_up: Duration,
    step: u64,
}

impl Lives {
    /// Times `start_up` (a checkpointed replay of one row) and `whole`, each the fastest of
    /// [`MEASURES`] runs (the `i`th run's command given by `start_up(i)` and `whole(i)`): one
    /// run slowed by a busy machine would make the lives so long that, the machine quieter,
    /// the run finished before it had been killed [`KILLS`] times.
    fn measure(
        start_up: impl Fn(usize) -> std::process::Command,
        whole: impl Fn(usize) -> std::process::Command,
    ) -> Lives {
        let fastest = |cmd: &dyn Fn(usize) -> std::process::Command| {
            (0..MEASURES).map(|i| timed(&mut cmd(i))).min().unwrap()
        };
        let start_up_time = fastest(&start_up);
        let whole = fastest(&whole);
        Lives {
            start_up: start_up_time,
            step: (whole.saturating_sub(start_up_time).as_millis() as u64 / KILLS as u64).max(2),
        }
    }

    fn next(&self, rng: &mut Rng, kills: usize) -> Duration {
        let most = self.step * (1 + kills.saturating_sub(KILLS) as u64);
        self.start_up + Duration::from_millis(rng.below(most))
    }
}

/// Checkpointed replay `i` of one seed row in `dir`, for [`Lives::measure`].
fn one_row_run(dir: &Path, i: usize) -> std::process::Command {
    let file = dir.join("one-row.csv");
    std::fs::write(&file, "batch,event_time,value\n0,2026-11-23T17:33:00Z,1\n").unwrap();
    let mut cmd = window_tui_in(dir);
    cmd.arg("replay")
        .arg(&file)
        .args(["--sink", "json", "--checkpoint"])
        .arg(dir.join(format!("one-row-checkpoint-{i}")));
    cmd
}

/// Runs `cmd` to its end and gives its time.
fn timed(cmd: &mut std::process::Command) -> Duration {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// A replay file of `ticks` ticks with 40 rows each over 6 values, some of them late.
fn replay_file(path: &Path, ticks: u64) {
    let mut rng = Rng(0x5eed);
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..ticks {
        for i in 0..40 {
            let ms = tick * 1_000 + i * 25 - if rng.below(20) == 0 { 4_000 } else { 0 };
            let t = 1_795_455_180_000 + ms.min(tick * 1_000 + i * 25);
            let when = chrono::DateTime::from_timestamp_millis(t as i64).unwrap();
            writeln!(
                text,
                "{tick},{},v{}",
                when.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                rng.below(6)
            )
            .unwrap();
        }
    }
    std::fs::write(path, text).unwrap();
}

/// No (window, value) twice: append mode emits each key once, so a duplicate is a batch
/// written twice.
fn assert_no_duplicate_keys(rows: &common::Bag<(String, String, u64)>, what: &str) {
    let mut keys = std::collections::BTreeMap::new();
    for ((window, value, _), n) in rows {
        *keys.entry((window.clone(), value.clone())).or_insert(0) += n;
    }
    let twice: Vec<_> = keys.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{what}: keys written more than once: {twice:?}"
    );
}

#[test]
fn a_replay_killed_again_and_again_writes_every_row_exactly_once() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    replay_file(&events, 3_000);
    let query = ["--window", "10s", "--slide", "5s", "--watermark", "3s"];

    // The reference: one uninterrupted run.
    let reference = dir.path().join("reference");
    let status = window_tui_in(dir.path())
        .arg("replay")
        .arg(&events)
        .args(query)
        .args(["--sink", "file", "--output"])
        .arg(&reference)
        .status()
        .unwrap();
    assert!(status.success());
    let (_, want) = check_file_sink(&reference);

    let command = |out: &Path, checkpoint: &Path| {
        let mut cmd = window_tui_in(dir.path());
        cmd.arg("replay")
            .arg(&events)
            .args(query)
            .args(["--sink", "file", "--output"])
            .arg(out)
            .arg("--checkpoint")
            .arg(checkpoint);
        cmd
    };
    let lives = Lives::measure(
        |i| one_row_run(dir.path(), i),
        |i| {
            command(
                &dir.path().join(format!("timed-{i}")),
                &dir.path().join(format!("timed-checkpoint-{i}")),
            )
        },
    );
    let out = dir.path().join("out");
    let checkpoint = dir.path().join("checkpoint");
    let mut rng = Rng(0xc4a5_4e57);
    let (mut kills, mut runs) = (0, 0);
    let started = Instant::now();
    loop {
        let mut run = Running::spawn(&mut command(&out, &checkpoint));
        runs += 1;
        std::thread::sleep(lives.next(&mut rng, kills));
        if run.is_running() && kills < KILLS * 2 {
            run.kill();
            kills += 1;
            continue;
        }
        let finished = run.wait(Duration::from_secs(60));
        assert!(
            finished.status.success(),
            "run {runs} failed:\n{}",
            finished.stderr
        );
        break;
    }
    assert!(
        kills >= KILLS,
        "only {kills} kills in {runs} runs ({:?})",
        started.elapsed()
    );
    let (_, got) = check_file_sink(&out);
    assert_no_duplicate_keys(&got, "killed replay");
    if let Err(e) = common::diff("rows after the kills", &want, &got) {
        panic!("{e}");
    }
}

/// A stream server that sends `v0`..`v9` round and round to whoever connects, until stopped.
fn endless_server(stop: Arc<AtomicBool>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let lines = (0..20).fold(String::new(), |mut lines, i| {
                    let _ = writeln!(lines, "v{}", (n + i) % 10);
                    lines
                });
                n += 20;
                if stream.write_all(lines.as_bytes()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    });
    (port, handle)
}

#[test]
fn a_live_run_killed_again_and_again_writes_what_it_recorded_exactly_once() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (port, server) = endless_server(stop.clone());
    let query = ["--window", "2s", "--slide", "1s", "--watermark", "500ms"];
    let command = |dir: &Path| {
        let mut cmd = window_tui_in(dir);
        cmd.args(["--headless", "--source", &format!("127.0.0.1:{port}")])
            .args(query)
            .args(["--trigger", "100ms", "--sink", "file", "--output", "out"])
            .args(["--checkpoint", "checkpoint", "--record", "record.csv"]);
        cmd
    };
    let mut rng = Rng(0x11fe);
    for _ in 0..KILLS {
        let mut run = Running::spawn(&mut command(dir.path()));
        std::thread::sleep(Duration::from_millis(50 + rng.below(400)));
        assert!(
            run.is_running(),
            "the live run ended by itself:\n{}",
            run.stderr()
        );
        run.kill();
    }
    // The last run ends cleanly, so its last rows are written too.
    let run = Running::spawn(&mut command(dir.path()));
    std::thread::sleep(Duration::from_millis(800));
    run.signal("TERM");
    let finished = run.wait(Duration::from_secs(30));
    stop.store(true, Ordering::Relaxed);
    let _ = server.join();
    assert!(finished.status.success(), "{}", finished.stderr);

    let (_, got) = check_file_sink(&dir.path().join("out"));
    assert_no_duplicate_keys(&got, "killed live run");
    assert!(!got.is_empty(), "nothing was written");

    // What the runs recorded, replayed in one go, gives the same rows.
    let reference = dir.path().join("reference");
    let mut replay = std::process::Command::new(common::BIN);
    hermetic(&mut replay)
        .arg("replay")
        .arg(dir.path().join("record.csv"))
        .args(query)
        .args(["--sink", "file", "--output"])
        .arg(&reference);
    let status = replay.status().unwrap();
    assert!(status.success());
    let (_, want) = check_file_sink(&reference);
    if let Err(e) = common::diff("live rows against the replay of their record", &want, &got) {
        panic!("{e}");
    }
}

/// A replay file of `ticks` ticks with 20 rows each: `user` of 12, `bytes`, times a few seconds
/// apart with some late ones, so sessions grow, merge and close.
fn user_file(path: &Path, ticks: u64) {
    let mut rng = Rng(0x5e55_1015);
    let mut text = String::from("batch,event_time,user,bytes\n");
    for tick in 0..ticks {
        for i in 0..20 {
            let late = if rng.below(20) == 0 { 4_000 } else { 0 };
            let ms = (tick * 1_000 + i * 50 + rng.below(3_000)).saturating_sub(late);
            let when =
                chrono::DateTime::from_timestamp_millis(1_795_455_180_000 + ms as i64).unwrap();
            writeln!(
                text,
                "{tick},{},u{},{}",
                when.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                rng.below(12),
                rng.below(1_000)
            )
            .unwrap();
        }
    }
    std::fs::write(path, text).unwrap();
}

/// A json sink's rows by batch id, from runs' outputs in order: a batch's rows are those of the
/// last run that printed it (a restarted run prints again the batch it resumes at). A line cut
/// by the kill is left out; its batch is printed again by the next run.
fn json_batches<'a>(
    outputs: impl IntoIterator<Item = &'a str>,
) -> std::collections::BTreeMap<u64, Vec<String>> {
    let mut batches = std::collections::BTreeMap::new();
    for stdout in outputs {
        let mut this_run = std::collections::BTreeMap::<u64, Vec<String>>::new();
        for line in stdout.lines() {
            let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let id = row["batch_id"].as_u64().expect("a batch id");
            this_run.entry(id).or_default().push(line.to_string());
        }
        for (id, mut rows) in this_run {
            rows.sort();
            batches.insert(id, rows);
        }
    }
    batches
}

/// Each batch's state figures from a progress log: id, then the state operator's counters.
fn state_figures(progress: &Path) -> Vec<(u64, [serde_json::Value; 4])> {
    common::read_progress(progress)
        .iter()
        .map(|p| {
            let op = &p["stateOperators"][0];
            (
                p["batchId"].as_u64().unwrap(),
                [
                    "numRowsTotal",
                    "numRowsUpdated",
                    "numRowsRemoved",
                    "numRowsDroppedByWatermark",
                ]
                .map(|k| op[k].clone()),
            )
        })
        .collect()
}

/// Kills a checkpointed json-sink replay of `query` again and again, and checks that what it
/// printed in the end, batch by batch, and its progress log equal one uninterrupted run's.
fn killed_json_replay_is_exact(name: &str, events: &Path, query: &[&str]) {
    let dir = events.parent().unwrap();
    let reference_progress = dir.join(format!("{name}-reference.jsonl"));
    let reference = window_tui_in(dir)
        .arg("replay")
        .arg(events)
        .args(query)
        .args(["--sink", "json", "--progress"])
        .arg(&reference_progress)
        .output()
        .unwrap();
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    let want = json_batches([String::from_utf8(reference.stdout).unwrap().as_str()]);
    assert!(
        want.len() > 100,
        "{name}: a long enough run ({})",
        want.len()
    );

    let command = |progress: &Path, checkpoint: &Path| {
        let mut cmd = window_tui_in(dir);
        cmd.arg("replay")
            .arg(events)
            .args(query)
            .args(["--sink", "json", "--progress"])
            .arg(progress)
            .arg("--checkpoint")
            .arg(checkpoint);
        cmd
    };
    let lives = Lives::measure(
        |i| one_row_run(dir, i),
        |i| {
            command(
                &dir.join(format!("{name}-timed-{i}.jsonl")),
                &dir.join(format!("{name}-timed-checkpoint-{i}")),
            )
        },
    );
    let checkpoint = dir.join(format!("{name}-checkpoint"));
    let progress = dir.join(format!("{name}-progress.jsonl"));
    let mut rng = Rng(0xc4a5_4e57 ^ name.len() as u64);
    let (mut kills, mut outputs) = (0, Vec::new());
    loop {
        let mut run = Running::spawn(&mut command(&progress, &checkpoint));
        std::thread::sleep(lives.next(&mut rng, kills));
        if run.is_running() && kills < 2 * KILLS {
            run.kill();
            kills += 1;
            outputs.push(run.wait(Duration::from_secs(5)).stdout);
            continue;
        }
        let finished = run.wait(Duration::from_secs(60));
        assert!(finished.status.success(), "{name}:\n{}", finished.stderr);
        outputs.push(finished.stdout);
        break;
    }
    assert!(kills >= KILLS, "{name}: only {kills} kills");
    let got = json_batches(outputs.iter().map(String::as_str));
    let differ: Vec<_> = want
        .keys()
        .chain(got.keys())
        .filter(|id| want.get(id) != got.get(id))
        .collect();
    assert!(
        differ.is_empty(),
        "{name}: batches that differ from the uninterrupted run's: {differ:?}"
    );
    assert_eq!(
        state_figures(&progress),
        state_figures(&reference_progress),
        "{name}: the progress log, exactly once, with the same state figures"
    );
}

#[test]
fn an_update_mode_replay_killed_again_and_again_restarts_exactly() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    replay_file(&events, 4_000);
    killed_json_replay_is_exact(
        "update",
        &events,
        &[
            "--window",
            "10s",
            "--slide",
            "5s",
            "--watermark",
            "3s",
            "--output-mode",
            "update",
        ],
    );
}

/// The user file's columns, grouped by user; the rest of a query follows.
fn by_user<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    let columns = [
        "--schema",
        "event_time TIMESTAMP, user STRING, bytes LONG",
        "--event-time",
        "event_time",
        "--group-by",
        "user",
    ];
    columns.into_iter().chain(rest.iter().copied()).collect()
}

#[test]
fn a_session_replay_killed_again_and_again_restarts_exactly() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    user_file(&events, 4_000);
    let rest = [
        "--agg",
        "count,sum(bytes),max(bytes)",
        "--session-gap",
        "3 seconds",
        "--watermark",
        "2 seconds",
    ];
    killed_json_replay_is_exact("sessions", &events, &by_user(&rest));
    let complete = by_user(&[&rest[..], &["--output-mode", "complete"]].concat());
    killed_json_replay_is_exact("sessions-complete", &events, &complete);
}

#[test]
fn a_replay_kept_by_pane_killed_again_and_again_restarts_exactly() {
    let _one = one_at_a_time();
    // Ten windows an event in append mode: the state is kept by pane, and checkpointed so.
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    user_file(&events, 4_000);
    let query = by_user(&[
        "--agg",
        "count,sum(bytes),avg(bytes),min(bytes),max(bytes)",
        "--window",
        "10 seconds",
        "--slide",
        "1 second",
        "--watermark",
        "2 seconds",
    ]);
    killed_json_replay_is_exact("panes", &events, &query);
}
