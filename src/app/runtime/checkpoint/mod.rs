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
//! Every tenth batch's commit (or the first once a log has passed 64 MiB of large live batches'
//! rows) starts a new log holding the whole state, and the older logs are removed, so the folder
//! holds the open state, not the run's history. The metadata is framed with a checksum
//! ([`framed`]); it and each new log are written aside, fsynced and renamed. Records are appended
//! and fdatasynced, one per step of a batch, each with checksums of its own ([`segment`]). A
//! checkpoint of the format before, a file per batch and step, is read once and carried over
//! ([`legacy`]).

pub mod framed;
mod input_log;
mod legacy;
mod segment;
mod spec;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::app::clock::micros_since_epoch;
use crate::app::durable;
use crate::app::error::BadInput;
use crate::app::source::inbox::Rows;
use crate::engine::{BatchKind, DataType, Engine, Micros, Query};
use segment::Appender;
pub use spec::QuerySpec;

/// A new log, starting with the whole state, every this many batches; deltas in between.
pub const SNAPSHOT_EVERY: u64 = 10;
/// ... or as soon as a log's records after the state it starts with have passed this many bytes
/// (large live batches' rows), so that a committed batch's rows do not stay on disk for long.
const LOG_BYTES: u64 = 64 << 20;

#[derive(Debug, Serialize, Deserialize)]
struct Metadata {
    /// The query's id: it stays the same across restarts, as Spark's `id` does.
    id: String,
    spec: QuerySpec,
    /// Set once the folder's first log is written: a checkpoint whose log has gone is then told
    /// from one a kill stopped before its first log. Metadata of earlier builds lacks it (it is
    /// set when such a checkpoint is next opened).
    #[serde(default)]
    logged: bool,
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
    /// The query's id, in each log's header.
    query_id: String,
    /// The last commit's batch id and time.
    last_commit: Option<(u64, SystemTime)>,
}

impl Checkpoint {
    /// Opens (creating) the checkpoint in `dir` for `spec`, and restores what it holds. A
    /// refusal (another query's checkpoint, or a damaged one) changes nothing in the folder.
    pub fn open(dir: &Path, query: Query, spec: &QuerySpec) -> anyhow::Result<(Self, Restored)> {
        durable::create_dir(dir)?;
        let types = query.schema().types().to_vec();
        let legacy = legacy::Files::new(dir);
        let metadata_path = dir.join("metadata");
        let logs = batch_ids(&dir.join(LOGS), "")?;
        let (mut metadata, version) = if metadata_path.exists() {
            let (version, metadata) = read_metadata(&metadata_path)?;
            if !metadata.spec.same_query(spec) {
                return Err(BadInput(format!(
                    "the checkpoint {} belongs to another query: {}. Use another \
                     --checkpoint, or --clean to start over",
                    dir.display(),
                    metadata.spec.differences(spec),
                ))
                .into());
            }
            if metadata.logged && logs.is_empty() {
                anyhow::bail!(
                    "the checkpoint {} is damaged: its metadata says its batches are logged, but \
                     {} holds no log. Use another --checkpoint, or --clean to start over",
                    dir.display(),
                    dir.join(LOGS).display()
                );
            }
            (metadata, version)
        } else {
            // Files named as batches that are not window-tui's: someone else's, which --clean
            // leaves too.
            let foreign = logs
                .iter()
                .map(|&id| log_path(dir, id))
                .filter(|path| !framed::begins_like_ours(path))
                .chain(legacy.foreign()?)
                .next();
            if let Some(foreign) = foreign {
                return Err(BadInput(format!(
                    "{} is named as a window-tui checkpoint's batch file, and is not one: move \
                     it out of the checkpoint {} (--clean leaves what window-tui did not write)",
                    foreign.display(),
                    dir.display()
                ))
                .into());
            }
            // Batches without the query they belong to: damaged, or not a checkpoint of ours.
            if !logs.is_empty() || legacy.any()? {
                anyhow::bail!(
                    "the checkpoint {} is damaged: it holds batches but no metadata (the query \
                     they belong to). Use another --checkpoint, or --clean to start over",
                    dir.display()
                );
            }
            let metadata = Metadata {
                id: uuid::Uuid::new_v4().to_string(),
                spec: spec.clone(),
                logged: false,
            };
            write_metadata(&metadata_path, &metadata)?;
            (metadata, framed::VERSION)
        };
        let query_id = metadata.id.clone();
        let (log, restored) = if let Some(&first) = logs.last() {
            let check = |last| legacy.superseded_by(last);
            restore(dir, first, query, &types, query_id, check)?
        } else {
            let old = if legacy.any()? {
                tracing::info!(
                    "{}: checkpoint carried over to format {}",
                    dir.display(),
                    framed::VERSION
                );
                let old = legacy.restore(query, &types)?;
                // Its files read and checked, and before a log is made, the metadata is written
                // in this format, so that an older build refuses the folder rather than start
                // afresh beside the log.
                write_metadata(&metadata_path, &metadata)?;
                old
            } else {
                legacy::Legacy {
                    engine: Engine::new(query),
                    last: None,
                    pending: None,
                }
            };
            durable::create_dir(&dir.join(LOGS))?;
            start_log(dir, old, query_id, &types)?
        };
        // The folder read and checked, and its log there: the metadata says so, in this format.
        if version < framed::VERSION || !metadata.logged {
            metadata.logged = true;
            write_metadata(&metadata_path, &metadata)?;
        }
        // The log holds all a format-3 checkpoint's files did (also when a kill stopped their
        // removal last time): they go, or are named on stderr and go next time.
        if let Err(e) = legacy.remove() {
            tracing::warn!("{e:#}");
        }
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

    /// How many bytes the log's records after its first take.
    #[cfg(test)]
    pub fn log_grown(&self) -> u64 {
        self.log.lock().unwrap().appender.grown()
    }

    /// Logs a batch before it runs: its offsets, and a live batch's rows.
    pub fn begin(&self, offsets: &Offsets, input: Option<&Rows>) -> anyhow::Result<()> {
        let input = input.map(|rows| input_writer(rows, &self.types));
        self.lock()?
            .appender
            .append(|out| segment::begin(out, offsets, input))
    }

    /// Records a batch the sinks have, with the state it changed. Every tenth batch, or once the
    /// log's records after its first have passed [`LOG_BYTES`], starts a new log instead, holding
    /// the whole state, and the older logs go.
    pub fn commit(&self, engine: &Engine, commit: &Commit) -> anyhow::Result<()> {
        let now = SystemTime::now();
        let at = micros_since_epoch(now);
        let id = commit.batch_id;
        let mut log = self.lock()?;
        if (id > 0 && id.is_multiple_of(SNAPSHOT_EVERY)) || log.appender.grown() > LOG_BYTES {
            let mut records = Vec::new();
            segment::commit(&mut records, commit, at, |out| engine.encode_snapshot(out));
            let query_id = log.query_id.clone();
            log.appender = Appender::create(
                &log_path(&self.dir, id + 1),
                &query_id,
                &records,
                Vec::new(),
            )?;
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

/// What a run resuming at batch `batch` from the checkpoint `dir` says on stderr (a replay as a
/// live run).
pub fn resuming(batch: u64, dir: &Path) -> String {
    format!(
        "window-tui: resuming at batch {batch} from the checkpoint {}",
        dir.display()
    )
}

/// When `folder` is one of a checkpoint's, the endings of its batch files' names after the
/// batch id (`--clean` removes those, and leaves anything else).
pub fn batch_file_suffixes(folder: &str) -> Option<&'static [&'static str]> {
    match folder {
        LOGS => Some(&[""]),
        _ => legacy::batch_file_suffixes(folder),
    }
}

fn log_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(LOGS).join(first.to_string())
}

/// The ids of the batch files in `folder` named `ID` then `suffix` (none when there is no
/// folder). Files named otherwise are not ours to read.
fn batch_ids(folder: &Path, suffix: &str) -> anyhow::Result<BTreeSet<u64>> {
    let mut ids = BTreeSet::new();
    let entries = match std::fs::read_dir(folder) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        entries => entries.with_context(|| format!("cannot list {}", folder.display()))?,
    };
    for entry in entries {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name.strip_suffix(suffix).and_then(durable::batch_id) {
            ids.insert(id);
        }
    }
    Ok(ids)
}

/// Removes the logs before `first`, which the log at `first` supersedes, and any log a kill
/// left aside. One that will not go is named on stderr; a restart tries again. A file named as
/// a log that does not begin as one is not window-tui's, and is left (and named).
fn remove_logs_before(dir: &Path, first: u64) {
    let logs = dir.join(LOGS);
    let Ok(entries) = std::fs::read_dir(&logs) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = durable::batch_id(name).is_some_and(|id| id < first);
        let aside = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(durable::batch_id)
            .is_some();
        let path = logs.join(name);
        if !(stale || aside) {
            continue;
        }
        if !framed::begins_like_ours(&path) {
            tracing::warn!("left {}: not a window-tui checkpoint file", path.display());
            continue;
        }
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

/// Before `--clean` removes the batches of the checkpoint in `dir`: its metadata no longer
/// says they are logged, so that a kill before the metadata goes too leaves a folder that
/// opens as a new checkpoint, not one refused as damaged. Metadata that does not read back is
/// left as it is (the removal goes on).
pub fn forget_batches(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join("metadata");
    match read_metadata(&path) {
        Ok((_, mut metadata)) if metadata.logged => {
            metadata.logged = false;
            write_metadata(&path, &metadata)
        }
        _ => Ok(()),
    }
}

/// The checkpoint's metadata. A file that is not window-tui's at all (a Spark job's checkpoint,
/// say) means the command names the wrong folder: bad usage rather than damage.
fn read_metadata(path: &Path) -> anyhow::Result<(u32, Metadata)> {
    let (version, body) = framed::read_versioned(path, "metadata").map_err(|e| match e {
        framed::FrameError::Foreign { file } => anyhow::Error::from(BadInput(format!(
            "{file} is not a window-tui checkpoint's (a Spark job's checkpoint?): use another \
             --checkpoint"
        ))),
        e => e.into(),
    })?;
    Ok((version, from_json(path, &body)?))
}

fn write_metadata(path: &Path, metadata: &Metadata) -> anyhow::Result<()> {
    framed::write(path, "metadata", &serde_json::to_vec(metadata)?)
}

/// What writes `rows`, of `types`, into a begin record.
fn input_writer<'a>(rows: &'a Rows, types: &'a [DataType]) -> impl FnOnce(&mut Vec<u8>) + 'a {
    move |out| input_log::encode(rows, types, out)
}

/// Starts the checkpoint's log with what `old` held (nothing, for a new checkpoint).
fn start_log(
    dir: &Path,
    old: legacy::Legacy,
    query_id: String,
    types: &[DataType],
) -> anyhow::Result<(Log, Restored)> {
    let mut records = Vec::new();
    let last = old
        .last
        .map(|(commit, at)| (commit, at.unwrap_or_else(SystemTime::now)));
    if let Some((commit, at)) = &last {
        segment::commit(&mut records, commit, micros_since_epoch(*at), |out| {
            old.engine.encode_snapshot(out);
        });
    }
    // A restart that runs the pending batch logs the same begin: it is not appended twice.
    let mut repeatable = Vec::new();
    if let Some(pending) = &old.pending {
        let input = pending.input.as_ref().map(|rows| input_writer(rows, types));
        segment::begin(&mut repeatable, &pending.offsets, input);
        records.extend_from_slice(&repeatable);
    }
    let first = old.engine.next_batch_id();
    let appender = Appender::create(&log_path(dir, first), &query_id, &records, repeatable)?;
    Ok(opened(appender, query_id, old.engine, last, old.pending))
}

/// The log `appender` writes to, and what a restart restores: `engine`, the last commit and its
/// time, and the pending batch.
fn opened(
    appender: Appender,
    query_id: String,
    engine: Engine,
    last: Option<(Commit, SystemTime)>,
    pending: Option<Pending>,
) -> (Log, Restored) {
    let log = Log {
        appender,
        query_id: query_id.clone(),
        last_commit: last.as_ref().map(|(commit, at)| (commit.batch_id, *at)),
    };
    let restored = Restored {
        engine,
        query_id,
        last: last.map(|(commit, _)| commit),
        pending,
    };
    (log, restored)
}

/// Restores the state the log `log/first` ends with (the newest log holds all there is), once
/// `check` accepts its last commit's batch id; nothing is changed before.
fn restore(
    dir: &Path,
    first: u64,
    query: Query,
    types: &[DataType],
    query_id: String,
    check: impl FnOnce(Option<u64>) -> anyhow::Result<()>,
) -> anyhow::Result<(Log, Restored)> {
    let path = log_path(dir, first);
    let file = path.display().to_string();
    let data = framed::read_file(&path)?;
    let parsed = segment::parse(&file, &data, &query_id)?;
    let mut engine = Engine::new(query);
    let mut last: Option<(Commit, Micros)> = None;
    let mut pending: Option<Pending> = None;
    let mut last_record = 0;
    // Where the records after the state the log starts with begin: `log/0`'s first record, a
    // later log's second.
    let mut grown_from = parsed.whole;
    for (i, (offset, record)) in parsed.records.into_iter().enumerate() {
        if i == usize::from(first > 0) {
            grown_from = offset;
        }
        let damaged = |why: String| segment::damaged(&file, offset, &why);
        last_record = offset;
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
    check(last.as_ref().map(|(commit, _)| commit.batch_id))?;
    if parsed.whole < data.len() {
        tracing::warn!(
            "{file}: its last {} bytes are a record a kill cut short; left out",
            data.len() - parsed.whole
        );
    }
    // A restart that runs the pending batch logs the same begin: it is not appended twice.
    let repeatable = if pending.is_some() {
        data[last_record..parsed.whole].to_vec()
    } else {
        Vec::new()
    };
    let appender = Appender::open(&path, parsed.whole as u64, grown_from as u64, repeatable)?;
    remove_logs_before(dir, first);
    let last = last.map(|(commit, at)| {
        let micros = u64::try_from(at).unwrap_or(0);
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(micros);
        (commit, at)
    });
    Ok(opened(appender, query_id, engine, last, pending))
}

/// `body`, the JSON of the file `path`.
fn from_json<T: for<'de> Deserialize<'de>>(path: &Path, body: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(body).with_context(|| {
        format!(
            "{}: torn or corrupt (not the JSON it should be)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests;
