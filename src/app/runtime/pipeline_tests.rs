//! The pipeline's tests: batch timings, a batch undone, a failed sink's batch retried, what a checkpoint
//! commits and logs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::app::clock::ManualClock;
use crate::app::config::SinkKind;
use crate::app::runtime::checkpoint::QuerySpec;
use crate::app::sink::{Sink, SinkOpener};
use crate::engine::{Query, Value};

/// A sink that fails a number of times (a full disk), then works.
struct Flaky {
    failures: Arc<AtomicU32>,
    written: Arc<Mutex<Vec<u64>>>,
}

impl Sink for Flaky {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            anyhow::bail!("No space left on device");
        }
        self.written.lock().unwrap().push(batch.id);
        Ok(())
    }

    fn describe(&self) -> String {
        "Flaky".into()
    }
}

/// Runs `rows` as the data batch of live tick `tick`.
fn run(pipeline: &mut Pipeline, tick: u64, rows: &Rows) -> anyhow::Result<Arc<BatchOutput>> {
    pipeline.run_batch(BatchKind::Data, tick, Some(rows), |batch| {
        let types = batch.types().to_vec();
        batch.push_rows(rows, 0..rows.len(), &types);
        Ok(Position::Live { tick })
    })
}

/// The seed's query with a checkpoint in `dir` and a [`Flaky`] sink of `kind`: the pipeline,
/// the sink's failures to come, and the batches it wrote.
fn checkpointed(
    dir: &std::path::Path,
    kind: SinkKind,
) -> (Pipeline, Arc<AtomicU32>, Arc<Mutex<Vec<u64>>>) {
    checkpointed_with(dir, kind, |opener| opener)
}

/// [`checkpointed`], its sinks opened through `wrap`.
fn checkpointed_with(
    dir: &std::path::Path,
    kind: SinkKind,
    wrap: impl FnOnce(SinkOpener) -> SinkOpener,
) -> (Pipeline, Arc<AtomicU32>, Arc<Mutex<Vec<u64>>>) {
    let query = Query::seed();
    let spec = QuerySpec::new(&query, "%H%M%S", "UTC", "test".into());
    let (checkpoint, restored) = Checkpoint::open(dir, query, &spec).unwrap();
    let failures = Arc::new(AtomicU32::new(0));
    let written = Arc::new(Mutex::new(Vec::new()));
    let opener = {
        let (failures, written) = (failures.clone(), written.clone());
        Box::new(move |_| {
            Ok(Box::new(Flaky {
                failures: failures.clone(),
                written: written.clone(),
            }) as Box<dyn Sink>)
        })
    };
    let pipeline = Pipeline::new(
        restored.engine,
        SinkSet::new(wrap(opener), &[kind]).unwrap(),
        None,
        QueryIdentity::new("test".into()),
    )
    .with_checkpoint(checkpoint);
    (pipeline, failures, written)
}

/// A sink that takes `cost` of the clock's time per batch.
struct Slow {
    clock: ManualClock,
    cost: Duration,
}

impl Sink for Slow {
    fn write_batch(&mut self, _: &BatchOutput) -> anyhow::Result<()> {
        self.clock.advance(self.cost);
        Ok(())
    }

    fn describe(&self) -> String {
        "Slow".into()
    }
}

#[test]
fn batch_timings_come_from_the_clock() {
    let clock = ManualClock::at(1_795_455_180_000_000);
    let opener = {
        let clock = clock.clone();
        Box::new(move |_| {
            Ok(Box::new(Slow {
                clock: clock.clone(),
                cost: Duration::from_millis(7),
            }) as Box<dyn Sink>)
        })
    };
    let mut pipeline = Pipeline::new(
        Engine::new(Query::seed()),
        SinkSet::new(opener, &[SinkKind::Json]).unwrap(),
        None,
        QueryIdentity::new("test".into()),
    )
    .with_clock(clock.clone());
    let mut rows = Rows::default();
    rows.push(1_795_455_180_000_000, &[Value::Str("a")]);
    run(&mut pipeline, 0, &rows).unwrap();
    let first = *pipeline.last_timing().unwrap();
    assert_eq!(first.add_batch, Duration::from_millis(7));
    assert_eq!(first.total, Duration::from_millis(7));
    assert_eq!(first.since_previous, None);
    assert_eq!(first.wal_commit, None);
    assert_eq!(
        first.started,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_455_180)
    );
    clock.advance(Duration::from_secs(15) - Duration::from_millis(7));
    run(&mut pipeline, 1, &rows).unwrap();
    let second = pipeline.last_timing().unwrap();
    assert_eq!(second.since_previous, Some(Duration::from_secs(15)));
}

#[test]
fn a_batch_whose_rows_cannot_be_read_is_undone() {
    let opener = Box::new(|_| {
        Ok(Box::new(Slow {
            clock: ManualClock::at(0),
            cost: Duration::ZERO,
        }) as Box<dyn Sink>)
    });
    let mut pipeline = Pipeline::new(
        Engine::new(Query::seed()),
        SinkSet::new(opener, &[SinkKind::Json]).unwrap(),
        None,
        QueryIdentity::new("test".into()),
    );
    let failed = pipeline.run_batch(BatchKind::Data, 0, None, |batch| {
        batch.push(1_795_455_180_000_000, "a");
        anyhow::bail!("the disk caught fire")
    });
    assert!(failed.is_err());
    let engine = pipeline.engine();
    assert_eq!(engine.next_batch_id(), 0, "the id is given back");
    assert_eq!((engine.state_rows(), engine.max_event_time()), (0, None));
    let mut rows = Rows::default();
    rows.push(1_795_455_180_000_000, &[Value::Str("b")]);
    let batch = run(&mut pipeline, 0, &rows).unwrap();
    assert_eq!((batch.id, batch.stats.input_rows), (0, 1));
    assert_eq!(
        pipeline.engine().state_rows(),
        2,
        "only b, in its two windows"
    );
}

#[test]
fn a_failed_sink_keeps_the_batch_uncommitted_until_a_retry_gets_it_through() {
    let dir = tempfile::tempdir().unwrap();
    let (mut pipeline, failures, written) = checkpointed(dir.path(), SinkKind::File);

    let mut rows = Rows::default();
    rows.push(1_795_455_180_000_000, &[Value::Str("a")]);
    run(&mut pipeline, 0, &rows).unwrap();

    failures.store(2, Ordering::SeqCst);
    rows.clear();
    rows.push(1_795_455_240_000_000, &[Value::Str("b")]);
    let err = run(&mut pipeline, 1, &rows).unwrap_err();
    assert!(format!("{err:#}").contains("No space left"), "{err:#}");
    assert!(pipeline.has_unwritten());
    let status = &pipeline.sinks().status()[0];
    assert!(
        status
            .error
            .as_deref()
            .unwrap_or("")
            .contains("No space left")
    );
    assert!(
        !pipeline.committed(1),
        "not committed while a sink lacks it"
    );

    let refused = run(&mut pipeline, 2, &rows).unwrap_err();
    assert!(
        refused.to_string().contains("batch 1 is not written yet"),
        "no batch runs past one a sink lacks: {refused}"
    );

    assert!(pipeline.retry().is_err(), "still full");
    let batch = pipeline.retry().unwrap().expect("written at last");
    assert_eq!(batch.id, 1);
    assert!(!pipeline.has_unwritten());
    assert!(pipeline.committed(1));
    assert_eq!(
        *written.lock().unwrap(),
        vec![0, 1],
        "each batch once, in order"
    );
    assert_eq!(pipeline.sinks().status()[0].error, None);
    assert_eq!(
        pipeline.engine().next_batch_id(),
        2,
        "no batch ran meanwhile"
    );
}

#[test]
fn a_checkpoint_commits_only_what_a_background_sink_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (mut pipeline, failures, written) = checkpointed_with(
        dir.path(),
        SinkKind::Json,
        crate::app::sink::json_in_background,
    );
    let mut rows = Rows::default();
    rows.push(1_795_455_180_000_000, &[Value::Str("a")]);
    run(&mut pipeline, 0, &rows).unwrap();
    assert_eq!(*written.lock().unwrap(), [0], "written before the commit");
    assert!(pipeline.committed(0));

    failures.store(1, Ordering::SeqCst);
    rows.clear();
    rows.push(1_795_455_240_000_000, &[Value::Str("b")]);
    let err = run(&mut pipeline, 1, &rows).unwrap_err();
    assert!(format!("{err:#}").contains("No space left"), "{err:#}");
    assert!(
        pipeline.has_unwritten(),
        "the batch that failed, not a later one"
    );
    assert!(!pipeline.committed(1));
}

#[test]
fn a_large_batch_is_logged_beside_the_engine_and_undone_if_the_log_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (mut pipeline, failures, _) = checkpointed(dir.path(), SinkKind::Json);
    // The sink fails once, so the batch stays uncommitted and its log stays to be read.
    failures.store(1, Ordering::SeqCst);
    let values: Vec<String> = (0..10).map(|v| v.to_string()).collect();
    let mut rows = Rows::default();
    for i in 0..LOG_ASIDE_ROWS {
        rows.push(1_795_455_180_000_000, &[Value::Str(&values[i % 10])]);
    }
    assert!(run(&mut pipeline, 0, &rows).is_err(), "the sink failed");
    assert!(pipeline.last_timing().is_none());
    let query = Query::seed();
    let spec = QuerySpec::new(&query, "%H%M%S", "UTC", "test".into());
    let (_, again) = Checkpoint::open(dir.path(), query, &spec).unwrap();
    let pending = again.pending.expect("batch 0 is logged");
    assert_eq!(pending.input.as_ref(), Some(&rows));
    let logged = std::fs::metadata(dir.path().join("log/0")).unwrap().len();
    assert!(logged < 3 * LOG_ASIDE_ROWS as u64 + 200, "{logged} bytes");
    pipeline.retry().unwrap();
    assert!(pipeline.last_timing().unwrap().wal_commit.is_some());
    let state_rows = pipeline.engine().state_rows();

    // The log cannot be written: the batch fails, and the engine is as it was.
    pipeline.checkpoint().unwrap().fail_after(Some(0));
    let err = run(&mut pipeline, 1, &rows).unwrap_err();
    assert!(format!("{err:#}").contains("cannot log batch 1"), "{err:#}");
    let engine = pipeline.engine();
    assert_eq!(engine.next_batch_id(), 1, "the id is given back");
    assert_eq!(engine.state_rows(), state_rows);
}
