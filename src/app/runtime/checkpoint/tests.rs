//! The checkpoint store on its own: restore after commits, pending batches, retention, and the
//! files it refuses ([`identity`]: the folders of another query, or without the batches or the
//! metadata they must have).

mod identity;

use super::*;
use crate::engine::{BatchKind, Duration, Value};

const S: Micros = 1_000_000;

fn query() -> Query {
    Query::seed()
}

fn spec() -> QuerySpec {
    QuerySpec::new(&query(), "%H%M%S", "UTC", "socket, arrival time".into())
}

/// Why the checkpoint in `dir` cannot be opened for the test query.
fn refusal(dir: &Path) -> String {
    let err = Checkpoint::open(dir, query(), &spec()).err();
    format!("{:#}", err.expect("the checkpoint is refused"))
}

fn keys(engine: &Engine) -> Vec<(Micros, Vec<u8>, Vec<crate::engine::Datum>)> {
    let mut keys = Vec::new();
    engine.open_rows(usize::MAX, |w, key, aggs| {
        keys.push((w.start, key.to_vec(), aggs));
    });
    keys.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    keys
}

/// The seed's rows.
fn rows(items: &[(Micros, &str)]) -> Rows {
    let mut rows = Rows::default();
    for (t, v) in items {
        rows.push(*t, &[Value::Str(v)]);
    }
    rows
}

/// Runs `rows` as a data batch of `engine`.
fn run_rows(engine: &mut Engine, rows: &Rows) {
    let types = engine.query().schema().types().to_vec();
    engine.run_batch(BatchKind::Data, rows.iter(&types));
}

/// Runs `n` batches through `engine`, logging and committing each.
fn run(checkpoint: &Checkpoint, engine: &mut Engine, n: u64) {
    for _ in 0..n {
        let id = engine.next_batch_id();
        let t = 1_795_455_180 * S + id as i64 * 7 * S;
        let rows = rows(&[(t, "a"), (t + S, &format!("v{}", id % 3))]);
        let offsets = Offsets {
            batch_id: id,
            kind: BatchKind::Data,
            tick: id,
            watermark: engine.next_watermark(),
        };
        checkpoint.begin(&offsets, Some(&rows)).unwrap();
        run_rows(engine, &rows);
        let commit = Commit {
            batch_id: id,
            position: Position::Live { tick: id },
        };
        checkpoint.commit(engine, &commit).unwrap();
    }
}

#[test]
fn a_restart_restores_the_state_after_the_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert!(restored.last.is_none() && restored.pending.is_none());
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 23);
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(restored.engine.marks(), engine.marks());
    assert_eq!(keys(&restored.engine), keys(&engine));
    assert_eq!(restored.last.unwrap().batch_id, 22);
    assert!(restored.pending.is_none());
}

#[test]
fn a_file_not_named_as_a_batch_is_no_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 3);
    let logs = dir.path().join("log");
    std::fs::write(logs.join("07"), "not ours").unwrap();
    std::fs::write(logs.join("+5"), "not ours").unwrap();
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(restored.last.unwrap().batch_id, 2);
    assert!(logs.join("07").exists() && logs.join("+5").exists());
}

/// The one log file in `dir`.
fn the_log(dir: &Path) -> PathBuf {
    let logs: Vec<PathBuf> = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    logs.into_iter().next().unwrap()
}

#[test]
fn a_batch_logged_but_not_committed_is_pending_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 3);
    let rows = rows(&[(5, "x,\"y\"\n"), (6, "")]);
    let offsets = Offsets {
        batch_id: 3,
        kind: BatchKind::Data,
        tick: 9,
        watermark: engine.next_watermark(),
    };
    checkpoint.begin(&offsets, Some(&rows)).unwrap();
    let log = the_log(dir.path());
    let logged = std::fs::read(&log).unwrap();
    // The batch ran, and a crash cut its commit short: it does not count.
    run_rows(&mut engine, &rows);
    let commit = Commit {
        batch_id: 3,
        position: Position::Live { tick: 9 },
    };
    let mut record = Vec::new();
    segment::commit(&mut record, &commit, 0, |out| engine.encode_delta(out));
    for cut in [1, 9, record.len() - 1] {
        let torn = [&logged[..], &record[..cut]].concat();
        std::fs::write(&log, &torn).unwrap();
        let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
        assert_eq!(restored.engine.next_batch_id(), 3);
        let pending = restored.pending.unwrap();
        assert_eq!(pending.offsets, offsets);
        assert_eq!(pending.input.unwrap(), rows);
        // Opening changes nothing: a run refused after it leaves the file as it was.
        assert_eq!(std::fs::read(&log).unwrap(), torn);
    }
    // A restart that runs the batch logs the same begin: it is not appended twice, and the torn
    // record is gone.
    let (checkpoint, _) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    checkpoint.begin(&offsets, Some(&rows)).unwrap();
    assert_eq!(std::fs::read(&log).unwrap(), logged);
    // Another begin of the batch (other rows, another tick) is, and the later record holds.
    let again = Offsets {
        tick: 10,
        ..offsets
    };
    let other = self::rows(&[(5, "x")]);
    checkpoint.begin(&again, Some(&other)).unwrap();
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let pending = restored.pending.unwrap();
    assert_eq!((pending.offsets, pending.input.unwrap()), (again, other));
}

#[test]
fn the_folder_holds_the_open_state_not_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 105);
    // The log begun after batch 100 (with the state after it), and the metadata.
    assert_eq!(the_log(dir.path()), dir.path().join("log/101"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(keys(&restored.engine), keys(&engine));
    assert_eq!(restored.last.unwrap().batch_id, 104);
}

#[test]
fn the_time_of_the_last_commit_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    let before = std::time::SystemTime::now();
    run(&checkpoint, &mut engine, 12);
    let (checkpoint, _) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let at = checkpoint.committed_at(11).expect("batch 11's time");
    assert!(
        at >= before - std::time::Duration::from_micros(1) && at <= std::time::SystemTime::now()
    );
    assert_eq!(checkpoint.committed_at(10), None, "only the last commit's");
}

/// Why the checkpoint in `dir` is refused once `damage` has changed its one log.
fn refusal_after(dir: &Path, damage: impl FnOnce(&mut Vec<u8>)) -> String {
    let log = the_log(dir);
    let whole = std::fs::read(&log).unwrap();
    let mut damaged = whole.clone();
    damage(&mut damaged);
    std::fs::write(&log, &damaged).unwrap();
    let err = refusal(dir);
    assert_eq!(
        std::fs::read(&log).unwrap(),
        damaged,
        "a refused log is left as it is"
    );
    std::fs::write(&log, &whole).unwrap();
    err
}

#[test]
fn damaged_logs_are_named_never_misread() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let id = restored.query_id;
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 14);
    let log = the_log(dir.path());
    let name = log.display().to_string();
    let header = framed::log_header(&id).len();
    let len = std::fs::metadata(&log).unwrap().len() as usize;
    // A flipped byte anywhere in the records: the first (the state after batch 10), or the last.
    for at in [header + 20, len / 2, len - 1] {
        let err = refusal_after(dir.path(), |data| data[at] ^= 1);
        assert!(
            err.contains(&name)
                && err.contains("torn or corrupt")
                && err.ends_with("move it aside to keep it, or --clean to start over"),
            "{err}"
        );
    }
    let err = refusal_after(dir.path(), |data| {
        *data = String::from_utf8_lossy(data)
            .replacen(&format!(" v{} ", framed::VERSION), " v99 ", 1)
            .into_bytes();
    });
    assert!(
        err.contains(&name) && err.contains("newer window-tui"),
        "{err}"
    );
    // A log without the state before it, or a batch missing from it, is refused.
    let err = refusal_after(dir.path(), |data| {
        let parsed = segment::parse("", data, &id).unwrap();
        data.drain(header..parsed.records[1].0);
    });
    assert!(err.contains("begins where"), "{err}");
    let err = refusal_after(dir.path(), |data| {
        let parsed = segment::parse("", data, &id).unwrap();
        data.drain(parsed.records[1].0..parsed.records[3].0);
    });
    assert!(
        err.contains("batch 12 begins where batch 11 is next"),
        "{err}"
    );
    // Renamed, it no longer starts where the state it holds ends.
    std::fs::rename(&log, dir.path().join("log/3")).unwrap();
    let err = refusal(dir.path());
    assert!(
        err.contains("log/3") && err.contains("commits where"),
        "{err}"
    );
}

/// Writes a file of the format before this one (3) at `dir/rel`.
fn write_format_3(dir: &Path, rel: &str, kind: &str, body: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    framed::write(&path, kind, body).unwrap();
    let data = std::fs::read(&path).unwrap();
    let newline = data.iter().position(|&b| b == b'\n').unwrap();
    let header = String::from_utf8(data[..newline].to_vec()).unwrap();
    let header = header.replacen(&format!(" v{} ", framed::VERSION), " v3 ", 1);
    std::fs::write(&path, [header.as_bytes(), &data[newline..]].concat()).unwrap();
}

/// Writes a format-3 checkpoint's metadata for the test query, with the id `the-old-id`.
fn write_format_3_metadata(path: &Path) {
    let metadata = serde_json::json!({ "id": "the-old-id", "spec": spec() });
    write_format_3(
        path,
        "metadata",
        "metadata",
        &serde_json::to_vec(&metadata).unwrap(),
    );
}

/// Writes a format-3 checkpoint's commit of batch `id`.
fn write_format_3_commit(path: &Path, id: u64) {
    let commit = Commit {
        batch_id: id,
        position: Position::Live { tick: id },
    };
    write_format_3(
        path,
        &format!("commits/{id}"),
        "commit",
        &serde_json::to_vec(&commit).unwrap(),
    );
}

/// Batch `id`'s rows in [`write_format_3_batches`].
fn format_3_rows(id: u64) -> Rows {
    let t = 1_795_455_180 * S + id as i64 * 7 * S;
    rows(&[(t, "a"), (t + S, &format!("v{}", id % 3))])
}

/// Writes in `path` a checkpoint as format 3 did: its metadata, batches 0 to 12 committed (a
/// snapshot at 10) and batch 13 logged. Returns the engine after batch 12.
fn write_format_3_batches(path: &Path) -> Engine {
    write_format_3_metadata(path);
    let mut engine = Engine::new(query());
    for id in 0..14 {
        let offsets = Offsets {
            batch_id: id,
            kind: BatchKind::Data,
            tick: id,
            watermark: engine.next_watermark(),
        };
        write_format_3(
            path,
            &format!("offsets/{id}"),
            "offsets",
            &serde_json::to_vec(&offsets).unwrap(),
        );
        let mut input = Vec::new();
        input_log::encode(
            &format_3_rows(id),
            engine.query().schema().types(),
            &mut input,
        );
        write_format_3(path, &format!("input/{id}"), "input", &input);
        if id == 13 {
            break;
        }
        run_rows(&mut engine, &format_3_rows(id));
        let mut state = Vec::new();
        if id == 10 {
            engine.encode_snapshot(&mut state);
            write_format_3(path, "state/10.snapshot", "snapshot", &state);
        } else {
            engine.encode_delta(&mut state);
            write_format_3(path, &format!("state/{id}.delta"), "delta", &state);
        }
        write_format_3_commit(path, id);
    }
    engine
}

#[test]
fn a_checkpoint_of_the_format_before_is_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let engine = write_format_3_batches(path);
    for _ in 0..2 {
        let (checkpoint, restored) = Checkpoint::open(path, query(), &spec()).unwrap();
        assert_eq!(restored.query_id, "the-old-id");
        assert_eq!(restored.last.unwrap().batch_id, 12);
        assert_eq!(keys(&restored.engine), keys(&engine));
        assert_eq!(restored.engine.marks(), engine.marks());
        let pending = restored.pending.unwrap();
        assert_eq!(pending.offsets.batch_id, 13);
        assert_eq!(pending.input.unwrap(), format_3_rows(13));
        // The log holds it all now; the old files are gone, and an older build would refuse
        // the metadata rather than start afresh.
        assert_eq!(the_log(path), path.join("log/13"));
        let names: BTreeSet<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, BTreeSet::from(["log".into(), "metadata".into()]));
        assert_eq!(
            framed::header("", &std::fs::read(path.join("metadata")).unwrap())
                .unwrap()
                .version,
            framed::VERSION
        );
        drop(checkpoint);
        // A kill before the old files were all removed leaves some: the next open removes them.
        write_format_3_commit(path, 12);
        write_format_3(path, "state/12.delta", "delta", b"a delta");
    }
    // The run goes on from there: batch 13 again, logged as it was.
    let (checkpoint, restored) = Checkpoint::open(path, query(), &spec()).unwrap();
    let log = std::fs::read(path.join("log/13")).unwrap();
    let pending = restored.pending.unwrap();
    checkpoint
        .begin(&pending.offsets, pending.input.as_ref())
        .unwrap();
    assert_eq!(std::fs::read(path.join("log/13")).unwrap(), log);
    let mut engine = restored.engine;
    run_rows(&mut engine, &format_3_rows(13));
    let commit = Commit {
        batch_id: 13,
        position: Position::Live { tick: 13 },
    };
    checkpoint.commit(&engine, &commit).unwrap();
    let (_, restored) = Checkpoint::open(path, query(), &spec()).unwrap();
    assert_eq!(restored.last.unwrap().batch_id, 13);
    assert!(restored.pending.is_none());
    assert_eq!(keys(&restored.engine), keys(&engine));
}

#[test]
fn a_damaged_file_of_the_format_before_is_named_and_nothing_is_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    write_format_3_metadata(path);
    write_format_3_commit(path, 0);
    write_format_3(path, "state/0.delta", "delta", b"not a state");
    let err = refusal(path);
    assert!(
        err.contains("state/0.delta") && err.contains("torn or corrupt"),
        "{err}"
    );
    assert!(path.join("commits/0").exists() && path.join("state/0.delta").exists());
    assert!(!path.join("log").exists(), "no log made");
    let metadata = std::fs::read(path.join("metadata")).unwrap();
    assert_eq!(
        framed::header("", &metadata).unwrap().version,
        3,
        "not rewritten"
    );
}

#[test]
fn commits_of_the_format_before_past_the_log_are_refused_not_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    write_format_3_batches(path);
    let (checkpoint, restored) = Checkpoint::open(path, query(), &spec()).unwrap();
    assert_eq!(restored.last.unwrap().batch_id, 12);
    drop(checkpoint);
    // A build of format 3 ran here after this one (say, from a backup's metadata) and committed
    // batch 13.
    write_format_3_commit(path, 13);
    // What a kill would leave beside the log stays too.
    let stale = path.join("log/.20.tmp");
    std::fs::write(&stale, "aside").unwrap();
    let err = refusal(path);
    assert!(stale.exists(), "nothing changed");
    assert!(
        err.contains("commits/13") && err.contains("past the checkpoint's log"),
        "{err}"
    );
    assert!(path.join("commits/13").exists());
}

#[test]
fn a_log_grown_past_its_bound_starts_anew_at_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    // A first live batch of 70 rows of 1 MiB each (one value, so the state stays small).
    let value = "x".repeat(1 << 20);
    let t = 1_795_455_180 * S;
    let rows = rows(&vec![(t, value.as_str()); 70]);
    let offsets = Offsets {
        batch_id: 0,
        kind: BatchKind::Data,
        tick: 0,
        watermark: engine.next_watermark(),
    };
    checkpoint.begin(&offsets, Some(&rows)).unwrap();
    assert!(std::fs::metadata(the_log(dir.path())).unwrap().len() > LOG_BYTES);
    run_rows(&mut engine, &rows);
    let commit = Commit {
        batch_id: 0,
        position: Position::Live { tick: 0 },
    };
    checkpoint.commit(&engine, &commit).unwrap();
    let log = the_log(dir.path());
    assert_eq!(log, dir.path().join("log/1"), "not at a tenth batch");
    assert!(
        std::fs::metadata(&log).unwrap().len() < 4 << 20,
        "the rows are gone"
    );
    // The state the new log starts with does not count: the next batches append deltas.
    run(&checkpoint, &mut engine, 3);
    assert_eq!(the_log(dir.path()), log);
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(keys(&restored.engine), keys(&engine));
    assert_eq!(restored.last.unwrap().batch_id, 3);
    // Nor after a restart: what counts is the records after the first.
    let data = std::fs::read(&log).unwrap();
    let parsed = segment::parse("", &data, &restored.query_id).unwrap();
    let after_first = (data.len() - parsed.records[1].0) as u64;
    assert_eq!(checkpoint.log_grown(), after_first);
}

#[test]
fn what_a_kill_leaves_beside_the_newest_log_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 5);
    let first = std::fs::read(dir.path().join("log/0")).unwrap();
    run(&checkpoint, &mut engine, 10);
    // A kill after the new log was renamed into place, before the old one went; and one while
    // the next was written aside.
    std::fs::write(dir.path().join("log/0"), &first).unwrap();
    std::fs::write(dir.path().join("log/.21.tmp"), &first[..40]).unwrap();
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(restored.last.unwrap().batch_id, 14);
    assert_eq!(keys(&restored.engine), keys(&engine));
    assert_eq!(the_log(dir.path()), dir.path().join("log/11"));
}

#[test]
fn a_log_of_another_checkpoint_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    for path in [dir.path(), other.path()] {
        let (checkpoint, restored) = Checkpoint::open(path, query(), &spec()).unwrap();
        let mut engine = restored.engine;
        run(&checkpoint, &mut engine, 3);
    }
    std::fs::copy(other.path().join("log/0"), dir.path().join("log/5")).unwrap();
    let err = refusal(dir.path());
    assert!(
        err.contains("log/5") && err.contains("a log of another query"),
        "{err}"
    );
    assert!(dir.path().join("log/0").exists(), "nothing removed");
}

#[test]
fn a_format_3_checkpoint_without_batches_is_rewritten_in_this_format() {
    let dir = tempfile::tempdir().unwrap();
    write_format_3_metadata(dir.path());
    let path = dir.path().join("metadata");
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(restored.query_id, "the-old-id");
    let data = std::fs::read(path).unwrap();
    assert_eq!(framed::header("", &data).unwrap().version, framed::VERSION);
}
