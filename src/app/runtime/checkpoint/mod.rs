//! The checkpoint, in the spirit of Spark's: a restart with the same command continues as if
//! nothing happened, whatever moment the last run was killed at.
//!
//! ```text
//! DIR/metadata  the query, so that another query cannot reuse the folder
//! DIR/log/N     the batches from N on ([`segment`]): each one's offsets (id, kind, tick,
//!               watermark) and a live batch's rows, durable before it runs; then its commit,
//!               once the sinks have it, with the keys it changed
//! ```
//!
//! Every tenth batch's commit starts a new log holding the whole state, and the older logs are
//! removed, so the folder holds the open state, not the run's history. The metadata and each new
//! log are framed with a checksum ([`framed`]), written aside, fsynced and renamed; records are
//! appended and fdatasynced, one per step of a batch. A checkpoint of the format before, a file
//! per batch and step, is read once and carried over ([`legacy`]).

pub mod framed;
mod input_log;
mod legacy;
mod segment;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::app::durable;
use crate::app::error::BadInput;
use crate::app::source::inbox::Rows;
use crate::engine::{BatchKind, DataType, Engine, Micros, Query, QueryRequest};
use segment::Appender;

/// A new log, starting with the whole state, every this many batches; deltas in between.
pub const SNAPSHOT_EVERY: u64 = 10;
/// ... or as soon as a log has grown past this many bytes (large live batches' rows), so that a
/// committed batch's rows do not stay on disk for long.
const LOG_BYTES: u64 = 64 << 20;

/// What a checkpoint belongs to. A checkpoint made for one query is refused by another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerySpec {
    /// The query as the command line stated it (its limits aside, which change no answer).
    pub query: QueryRequest,
    /// The query as Spark code says it, for messages.
    pub text: String,
    pub window_format: String,
    /// The time zone window texts are written in (Spark's session time zone).
    pub time_zone: String,
    /// Where rows and their times come from, e.g. `socket, arrival time`.
    pub input: String,
}

impl QuerySpec {
    pub fn new(query: &Query, window_format: &str, time_zone: &str, input: String) -> Self {
        let mut request = query.request().clone();
        request.max_windows_per_event = 0;
        QuerySpec {
            query: request,
            text: query.to_string(),
            window_format: window_format.to_string(),
            time_zone: time_zone.to_string(),
            input,
        }
    }
}

impl fmt::Display for QuerySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} over ({}), --window-format {} in {}, input {}",
            self.text, self.query.schema, self.window_format, self.time_zone, self.input
        )
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Metadata {
    /// The query's id: it stays the same across restarts, as Spark's `id` does.
    id: String,
    spec: QuerySpec,
}

/// Written before a batch runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offsets {
    pub batch_id: u64,
    pub kind: BatchKind,
    /// The trigger tick (live) or the replay file's tick it ran at.
    pub tick: u64,
    pub watermark: Micros,
}

/// Where a run resumes after a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Position {
    /// A live run: the trigger tick of the batch.
    Live { tick: u64 },
    /// A replay: the last tick passed, and the first row not yet in a batch.
    Replay {
        last_tick: Option<u64>,
        offset: u64,
        line: u64,
    },
}

/// Written once the sinks have the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub batch_id: u64,
    pub position: Position,
}

/// A batch that was started (its offsets are logged) but not committed: it runs again, with the
/// same id and input.
#[derive(Debug, Clone)]
pub struct Pending {
    pub offsets: Offsets,
    /// A live batch's rows.
    pub input: Option<Rows>,
}

/// What a restart finds.
pub struct Restored {
    /// The engine as it was after the last committed batch.
    pub engine: Engine,
    /// The query's id (new for a new checkpoint).
    pub query_id: String,
    pub last: Option<Commit>,
    pub pending: Option<Pending>,
}

#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    /// The query's column types: how a live batch's rows are logged.
    types: Vec<DataType>,
    /// The log batches are appended to. A large live batch's rows are logged on a thread of
    /// their own, hence the lock.
    log: Mutex<Log>,
}

#[derive(Debug)]
struct Log {
    appender: Appender,
    /// The last commit's batch id and time.
    last_commit: Option<(u64, SystemTime)>,
}

impl Checkpoint {
    /// Opens (creating) the checkpoint in `dir` for `spec`, and restores what it holds.
    pub fn open(dir: &Path, query: Query, spec: &QuerySpec) -> anyhow::Result<(Self, Restored)> {
        durable::create_dir(&dir.join(LOGS))?;
        let types = query.schema().types().to_vec();
        let legacy = legacy::Files::new(dir);
        let metadata_path = dir.join("metadata");
        let query_id = if metadata_path.exists() {
            let metadata: Metadata = read_json(&metadata_path, "metadata")?;
            if metadata.spec != *spec {
                return Err(BadInput(format!(
                    "the checkpoint {} belongs to another query: it has {}; this run has {}. \
                     Use another --checkpoint, or --clean to start over",
                    dir.display(),
                    metadata.spec,
                    spec
                ))
                .into());
            }
            metadata.id
        } else {
            // Batches without the query they belong to: damaged, or not a checkpoint of ours.
            if !log_ids(dir)?.is_empty() || legacy.any()? {
                return Err(BadInput(format!(
                    "the checkpoint {} holds batches but no metadata (the query they belong \
                     to): it is damaged or not window-tui's. Use another --checkpoint, or \
                     --clean to start over",
                    dir.display()
                ))
                .into());
            }
            let metadata = Metadata {
                id: uuid::Uuid::new_v4().to_string(),
                spec: spec.clone(),
            };
            write_metadata(&metadata_path, &metadata)?;
            metadata.id
        };
        let (log, restored) = match log_ids(dir)?.last() {
            Some(&first) => restore(dir, first, query, &types, query_id)?,
            None if legacy.any()? => {
                let old = legacy.restore(query, &types)?;
                let (log, restored) = start_log(dir, old, query_id, &types)?;
                // The log holds all the old files did; the metadata is rewritten in this
                // format, so that an older build refuses the folder rather than start afresh.
                let metadata: Metadata = read_json(&metadata_path, "metadata")?;
                write_metadata(&metadata_path, &metadata)?;
                legacy.remove()?;
                tracing::info!(
                    "{}: checkpoint moved to format {}",
                    dir.display(),
                    framed::VERSION
                );
                (log, restored)
            }
            None => {
                let fresh = legacy::Legacy {
                    engine: Engine::new(query),
                    last: None,
                    pending: None,
                };
                start_log(dir, fresh, query_id, &types)?
            }
        };
        let checkpoint = Checkpoint {
            dir: dir.to_path_buf(),
            types,
            log: Mutex::new(log),
        };
        Ok((checkpoint, restored))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// When batch `id` was committed, if it was the last commit this checkpoint knows of.
    pub fn committed_at(&self, id: u64) -> Option<SystemTime> {
        let log = self.log.lock().ok()?;
        log.last_commit
            .filter(|(last, _)| *last == id)
            .map(|(_, at)| at)
    }

    fn lock(&self) -> anyhow::Result<std::sync::MutexGuard<'_, Log>> {
        self.log
            .lock()
            .map_err(|_| anyhow::anyhow!("checkpoint: a log writer panicked"))
    }

    /// Makes logging fail as a full disk would after `after` more records, or never (`None`).
    #[cfg(test)]
    pub fn fail_after(&self, after: Option<u32>) {
        self.log.lock().unwrap().appender.fail_after(after);
    }

    /// Logs a batch before it runs: its offsets, and a live batch's rows.
    pub fn begin(&self, offsets: &Offsets, input: Option<&Rows>) -> anyhow::Result<()> {
        let types = &self.types;
        let input = input.map(|rows| move |out: &mut Vec<u8>| input_log::encode(rows, types, out));
        self.lock()?
            .appender
            .append(|out| segment::begin(out, offsets, input))
    }

    /// Records a batch the sinks have, with the state it changed. Every tenth batch, or once the
    /// log has passed [`LOG_BYTES`], starts a new log instead, holding the whole state, and the
    /// older logs go.
    pub fn commit(&self, engine: &Engine, commit: &Commit) -> anyhow::Result<()> {
        let now = SystemTime::now();
        let at = crate::app::clock::micros_since_epoch(now);
        let id = commit.batch_id;
        let mut log = self.lock()?;
        if id > 0 && (id.is_multiple_of(SNAPSHOT_EVERY) || log.appender.len() > LOG_BYTES) {
            let mut records = Vec::new();
            segment::commit(&mut records, commit, at, |out| engine.encode_snapshot(out));
            log.appender = Appender::create(&log_path(&self.dir, id + 1), &records)?;
            remove_logs_before(&self.dir, id + 1);
        } else {
            log.appender
                .append(|out| segment::commit(out, commit, at, |out| engine.encode_delta(out)))?;
        }
        log.last_commit = Some((id, now));
        Ok(())
    }
}

/// The folder of logs.
const LOGS: &str = "log";

fn log_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(LOGS).join(first.to_string())
}

/// The first batch ids of the logs in `dir` (files named otherwise are not ours to read).
fn log_ids(dir: &Path) -> anyhow::Result<BTreeSet<u64>> {
    let path = dir.join(LOGS);
    let mut ids = BTreeSet::new();
    let entries = match std::fs::read_dir(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        entries => entries.with_context(|| format!("cannot list {}", path.display()))?,
    };
    for entry in entries {
        if let Some(id) = durable::batch_id(&entry?.file_name().to_string_lossy()) {
            ids.insert(id);
        }
    }
    Ok(ids)
}

/// Removes the logs before `first`, which the log at `first` supersedes, and any a crash left
/// aside. One that will not go is named on stderr; a restart tries again.
fn remove_logs_before(dir: &Path, first: u64) {
    let Ok(ids) = log_ids(dir) else { return };
    let stale = ids.range(..first).map(|&id| log_path(dir, id));
    let aside = std::iter::once(durable::aside(&log_path(dir, first)));
    for path in stale.chain(aside) {
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

fn write_metadata(path: &Path, metadata: &Metadata) -> anyhow::Result<()> {
    framed::write(path, "metadata", &serde_json::to_vec(metadata)?)
}

/// Starts the checkpoint's log with what `old` held (nothing, for a new checkpoint).
fn start_log(
    dir: &Path,
    old: legacy::Legacy,
    query_id: String,
    types: &[DataType],
) -> anyhow::Result<(Log, Restored)> {
    let mut records = Vec::new();
    let last_commit = match &old.last {
        Some((commit, at)) => {
            let at = at.unwrap_or_else(SystemTime::now);
            let micros = crate::app::clock::micros_since_epoch(at);
            segment::commit(&mut records, commit, micros, |out| {
                old.engine.encode_snapshot(out);
            });
            Some((commit.batch_id, at))
        }
        None => None,
    };
    if let Some(pending) = &old.pending {
        let input = pending
            .input
            .as_ref()
            .map(|rows| move |out: &mut Vec<u8>| input_log::encode(rows, types, out));
        segment::begin(&mut records, &pending.offsets, input);
    }
    let first = old.engine.next_batch_id();
    let appender = Appender::create(&log_path(dir, first), &records)?;
    let restored = Restored {
        engine: old.engine,
        query_id,
        last: old.last.map(|(commit, _)| commit),
        pending: old.pending,
    };
    Ok((
        Log {
            appender,
            last_commit,
        },
        restored,
    ))
}

/// Restores the state the log `log/first` ends with (the newest log holds all there is).
fn restore(
    dir: &Path,
    first: u64,
    query: Query,
    types: &[DataType],
    query_id: String,
) -> anyhow::Result<(Log, Restored)> {
    let path = log_path(dir, first);
    let file = path.display().to_string();
    let data = framed::read_file(&path)?;
    let parsed = segment::parse(&file, &data)?;
    let mut engine = Engine::new(query);
    let mut last: Option<(Commit, Micros)> = None;
    let mut pending: Option<Pending> = None;
    for (offset, record) in parsed.records {
        let damaged =
            |why: String| framed::corrupt(&file, &format!("the record at byte {offset}: {why}"));
        match record {
            segment::Record::Begin { offsets, input } => {
                // A pending batch logs again when a restart runs it: the later record holds.
                let next = engine.next_batch_id();
                if offsets.batch_id != next || (first > 0 && last.is_none()) {
                    return Err(damaged(format!(
                        "batch {} begins where batch {next} is next",
                        offsets.batch_id
                    ))
                    .into());
                }
                let input = input
                    .map(|body| input_log::decode(body, types, framed::VERSION))
                    .map(|rows| rows.ok_or_else(|| damaged("its rows do not parse".into())))
                    .transpose()?;
                pending = Some(Pending { offsets, input });
            }
            segment::Record::Commit { commit, at, state } => {
                let expected = match &pending {
                    Some(p) => p.offsets.batch_id,
                    None if first > 0 && last.is_none() => first - 1,
                    None => {
                        return Err(damaged(format!(
                            "batch {} commits without beginning",
                            commit.batch_id
                        ))
                        .into());
                    }
                };
                engine
                    .apply_state(state)
                    .map_err(|e| damaged(format!("its state does not decode ({e})")))?;
                if commit.batch_id != expected || engine.next_batch_id() != expected + 1 {
                    return Err(damaged(format!(
                        "batch {} commits where batch {expected} ran",
                        commit.batch_id
                    ))
                    .into());
                }
                last = Some((commit, at));
                pending = None;
            }
        }
    }
    if first > 0 && last.is_none() {
        return Err(framed::corrupt(&file, "it does not start with the state before it").into());
    }
    if parsed.whole < data.len() {
        tracing::warn!(
            "{file}: its last {} bytes are a record a crash cut short; left out",
            data.len() - parsed.whole
        );
    }
    let appender = Appender::open(&path, parsed.whole as u64)?;
    remove_logs_before(dir, first);
    let last_commit = last.as_ref().map(|(commit, at)| {
        let at = std::time::UNIX_EPOCH
            + std::time::Duration::from_micros(u64::try_from(*at).unwrap_or(0));
        (commit.batch_id, at)
    });
    let restored = Restored {
        engine,
        query_id,
        last: last.map(|(commit, _)| commit),
        pending,
    };
    Ok((
        Log {
            appender,
            last_commit,
        },
        restored,
    ))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, kind: &str) -> anyhow::Result<T> {
    let body = framed::read(path, kind)?;
    serde_json::from_slice(&body).with_context(|| {
        format!(
            "{}: torn or corrupt (not the JSON it should be)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests;
