//! The checkpoint, in the spirit of Spark's: a restart with the same command continues as if
//! nothing happened, whatever moment the last run was killed at.
//!
//! ```text
//! DIR/metadata          the query, so that another query cannot reuse the folder
//! DIR/input/N           batch N's rows (live runs; [`input_log`]), durable before the batch
//!                       runs, removed once it commits
//! DIR/offsets/N         batch N's id, kind, tick and watermark, durable before it runs
//! DIR/state/N.delta     the keys batch N changed, with the engine's marks after it
//! DIR/state/N.snapshot  every key after batch N (every tenth batch)
//! DIR/commits/N         written once the sinks have batch N: where to resume after it
//! ```
//!
//! Every file is framed with a checksum ([`framed`]) and written aside, fsynced and renamed.
//! After a snapshot, the files of earlier batches are removed, so the folder holds the open state,
//! not the run's history.

pub mod framed;
mod input_log;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::app::durable;
use crate::app::error::BadInput;
use crate::app::source::inbox::Rows;
use crate::engine::{BatchKind, DataType, Engine, Micros, Query, QueryRequest};

/// A full snapshot of the state every this many batches; deltas in between.
pub const SNAPSHOT_EVERY: u64 = 10;

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
}

const FOLDERS: [&str; 4] = ["input", "offsets", "state", "commits"];

impl Checkpoint {
    /// Opens (creating) the checkpoint in `dir` for `spec`, and restores what it holds.
    pub fn open(dir: &Path, query: Query, spec: &QuerySpec) -> anyhow::Result<(Self, Restored)> {
        for folder in FOLDERS {
            durable::create_dir(&dir.join(folder))?;
        }
        let checkpoint = Checkpoint {
            dir: dir.to_path_buf(),
            types: query.schema().types().to_vec(),
        };
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
            if checkpoint.ids("commits", "")?.first().is_some()
                || checkpoint.ids("offsets", "")?.first().is_some()
            {
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
            framed::write(&metadata_path, "metadata", &serde_json::to_vec(&metadata)?)?;
            metadata.id
        };
        let restored = checkpoint.restore(query, query_id)?;
        Ok((checkpoint, restored))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// When batch `id` was committed (its commit file's time), if it was and the file says.
    pub fn committed_at(&self, id: u64) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.path("commits", id, ""))
            .and_then(|m| m.modified())
            .ok()
    }

    fn path(&self, folder: &str, id: u64, suffix: &str) -> PathBuf {
        self.dir.join(folder).join(format!("{id}{suffix}"))
    }

    /// Batch ids with a file in `folder` ending with `suffix`.
    fn ids(&self, folder: &str, suffix: &str) -> anyhow::Result<BTreeSet<u64>> {
        let path = self.dir.join(folder);
        let mut ids = BTreeSet::new();
        for entry in
            std::fs::read_dir(&path).with_context(|| format!("cannot list {}", path.display()))?
        {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name.strip_suffix(suffix).and_then(durable::batch_id) {
                ids.insert(id);
            }
        }
        Ok(ids)
    }

    fn restore(&self, query: Query, query_id: String) -> anyhow::Result<Restored> {
        let last_id = self.ids("commits", "")?.last().copied();
        let last: Option<Commit> = last_id
            .map(|id| read_json(&self.path("commits", id, ""), "commit"))
            .transpose()?;
        let engine = match last_id {
            None => Engine::new(query),
            Some(last_id) => {
                let snapshot_id = self
                    .ids("state", ".snapshot")?
                    .range(..=last_id)
                    .last()
                    .copied();
                let snapshot = snapshot_id
                    .map(|id| self.path("state", id, ".snapshot"))
                    .map(|path| framed::read(&path, "snapshot").map(|body| (path, body)))
                    .transpose()?;
                let first_delta = snapshot_id.map_or(0, |id| id + 1);
                let mut deltas = Vec::new();
                for id in first_delta..=last_id {
                    let path = self.path("state", id, ".delta");
                    let body = framed::read(&path, "delta")?;
                    deltas.push((path, body));
                }
                let damaged = |path: &Path| {
                    format!(
                        "{}: torn or corrupt (its state does not decode)",
                        path.display()
                    )
                };
                // One file at a time, so that damage names the file it is in.
                let mut engine = Engine::new(query);
                for (path, body) in snapshot.iter().chain(&deltas) {
                    engine.apply_state(body).with_context(|| damaged(path))?;
                }
                if engine.next_batch_id() != last_id + 1 {
                    anyhow::bail!(
                        "{}: the state says batch {} is next after commit {last_id}; the checkpoint cannot be trusted",
                        self.dir.display(),
                        engine.next_batch_id()
                    );
                }
                engine
            }
        };
        let next = last_id.map_or(0, |id| id + 1);
        let offsets_path = self.path("offsets", next, "");
        let pending = if offsets_path.exists() {
            let offsets: Offsets = read_json(&offsets_path, "offsets")?;
            let input_path = self.path("input", next, "");
            let input = input_path
                .exists()
                .then(|| read_input(&input_path, &self.types))
                .transpose()?;
            Some(Pending { offsets, input })
        } else {
            None
        };
        self.remove_after(next)?;
        Ok(Restored {
            engine,
            query_id,
            last,
            pending,
        })
    }

    /// Removes what batches after `next` left (a crash may leave a delta of an uncommitted batch).
    fn remove_after(&self, next: u64) -> anyhow::Result<()> {
        for (folder, suffix, keep_next) in [
            ("input", "", true),
            ("offsets", "", true),
            ("state", ".delta", false),
            ("state", ".snapshot", false),
            ("commits", "", false),
        ] {
            for id in self.ids(folder, suffix)? {
                if id > next || (id == next && !keep_next) {
                    let path = self.path(folder, id, suffix);
                    std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove {}", path.display()))?;
                }
            }
        }
        Ok(())
    }

    /// Logs a batch before it runs: its rows (live) then its offsets.
    pub fn begin(&self, offsets: &Offsets, input: Option<&Rows>) -> anyhow::Result<()> {
        if let Some(rows) = input {
            let mut body = Vec::new();
            input_log::encode(rows, &self.types, &mut body);
            framed::write(&self.path("input", offsets.batch_id, ""), "input", &body)?;
        }
        framed::write(
            &self.path("offsets", offsets.batch_id, ""),
            "offsets",
            &serde_json::to_vec(offsets)?,
        )
    }

    /// Records a batch the sinks have: its state (a delta, or a snapshot every tenth batch), then
    /// the commit. After a snapshot, earlier batches' files go.
    pub fn commit(&self, engine: &Engine, commit: &Commit) -> anyhow::Result<()> {
        let id = commit.batch_id;
        let snapshot = id > 0 && id.is_multiple_of(SNAPSHOT_EVERY);
        let mut body = Vec::new();
        if snapshot {
            engine.encode_snapshot(&mut body);
            framed::write(&self.path("state", id, ".snapshot"), "snapshot", &body)?;
        } else {
            engine.encode_delta(&mut body);
            framed::write(&self.path("state", id, ".delta"), "delta", &body)?;
        }
        framed::write(
            &self.path("commits", id, ""),
            "commit",
            &serde_json::to_vec(commit)?,
        )?;
        // The batch's rows were kept only to run it again if it did not commit. The batch is
        // committed now, so a file that will not go is only left for the next snapshot to remove.
        let input = self.path("input", id, "");
        if let Err(e) = std::fs::remove_file(&input)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", input.display());
        }
        if snapshot {
            self.remove_before(id)?;
        }
        Ok(())
    }

    /// Removes every file of batches before `id` (a snapshot at `id` holds all they did).
    fn remove_before(&self, id: u64) -> anyhow::Result<()> {
        for (folder, suffix) in [
            ("input", ""),
            ("offsets", ""),
            ("state", ".delta"),
            ("state", ".snapshot"),
            ("commits", ""),
        ] {
            for old in self.ids(folder, suffix)?.range(..id) {
                let path = self.path(folder, *old, suffix);
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        Ok(())
    }
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

fn read_input(path: &Path, types: &[DataType]) -> anyhow::Result<Rows> {
    let (version, body) = framed::read_versioned(path, "input")?;
    input_log::decode(&body, types, version).with_context(|| {
        format!(
            "{}: torn or corrupt (its rows do not parse)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests;
