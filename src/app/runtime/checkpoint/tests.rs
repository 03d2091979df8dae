//! The checkpoint store on its own: restore after commits, pending batches, retention, and the
//! files it refuses.

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
    let inputs = std::fs::read_dir(dir.path().join("input")).unwrap().count();
    assert_eq!(inputs, 0, "a committed batch's rows are not kept");
}

#[test]
fn a_file_not_named_as_a_batch_is_no_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 3);
    let commits = dir.path().join("commits");
    std::fs::copy(commits.join("2"), commits.join("07")).unwrap();
    std::fs::copy(commits.join("2"), commits.join("+5")).unwrap();
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(restored.last.unwrap().batch_id, 2);
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
    // The batch ran and its delta was written, but the commit was not: it does not count.
    run_rows(&mut engine, &rows);
    let mut delta = Vec::new();
    engine.encode_delta(&mut delta);
    framed::write(&checkpoint.path("state", 3, ".delta"), "delta", &delta).unwrap();
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(restored.engine.next_batch_id(), 3);
    let pending = restored.pending.unwrap();
    assert_eq!(pending.offsets, offsets);
    assert_eq!(pending.input.unwrap(), rows);
    assert!(
        !dir.path().join("state/3.delta").exists(),
        "the uncommitted delta is gone"
    );
}

#[test]
fn the_folder_holds_the_open_state_not_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 105);
    let files: usize = FOLDERS
        .iter()
        .map(|f| std::fs::read_dir(dir.path().join(f)).unwrap().count())
        .sum();
    // The snapshot of batch 100, then batches 100..=104: a few files each, not 105 × 4.
    assert!(files <= 4 * SNAPSHOT_EVERY as usize, "{files} files");
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert_eq!(keys(&restored.engine), keys(&engine));
}

#[test]
fn another_query_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let other = Query::sliding_count(
        Duration::from_secs(60),
        Duration::from_secs(15),
        Duration::from_secs(15),
    )
    .unwrap();
    let other_spec = QuerySpec::new(&other, "%H%M%S", "UTC", "socket, arrival time".into());
    let err = Checkpoint::open(dir.path(), other, &other_spec)
        .err()
        .unwrap();
    let text = format!("{err:#}");
    assert!(
        text.contains(r#"window("timestamp", "30 seconds""#)
            && text.contains(r#"window("timestamp", "1 minute""#),
        "{text}"
    );
    assert!(err.is::<BadInput>(), "exit status 2");
    let format = QuerySpec::new(&query(), "%H:%M", "UTC", "socket, arrival time".into());
    assert!(Checkpoint::open(dir.path(), query(), &format).is_err());
    let zone = QuerySpec {
        time_zone: "Pacific/Kiritimati".into(),
        ..spec()
    };
    let err = format!(
        "{:#}",
        Checkpoint::open(dir.path(), query(), &zone).err().unwrap()
    );
    assert!(err.contains("in Pacific/Kiritimati"), "{err}");
}

#[test]
fn batches_without_metadata_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 1);
    std::fs::remove_file(dir.path().join("metadata")).unwrap();
    let err = Checkpoint::open(dir.path(), query(), &spec())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no metadata"), "{err:#}");
    assert!(err.is::<BadInput>());
}

#[test]
fn damaged_files_are_named_never_misread() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 4);
    let delta = dir.path().join("state/2.delta");
    let whole = std::fs::read(&delta).unwrap();
    std::fs::write(&delta, &whole[..whole.len() / 2]).unwrap();
    let err = refusal(dir.path());
    assert!(
        err.contains("state/2.delta") && err.contains("torn or corrupt"),
        "{err}"
    );
    std::fs::remove_file(&delta).unwrap();
    let err = refusal(dir.path());
    assert!(err.contains("state/2.delta"), "{err}");
    std::fs::write(&delta, &whole).unwrap();
    let commit = dir.path().join("commits/3");
    let text = std::fs::read_to_string(&commit).unwrap().replacen(
        &format!(" v{} ", framed::VERSION),
        " v99 ",
        1,
    );
    std::fs::write(&commit, text).unwrap();
    let err = refusal(dir.path());
    assert!(
        err.contains("commits/3") && err.contains("newer window-tui"),
        "{err}"
    );
}
