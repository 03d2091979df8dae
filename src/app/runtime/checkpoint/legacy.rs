//! Checkpoints of formats 2 and 3, which wrote a file per batch and step, read once so that a run
//! of this build continues them (its log then holds what they did, and they are removed):
//!
//! ```text
//! DIR/input/N           batch N's rows (live runs), before the batch ran
//! DIR/offsets/N         batch N's id, kind, tick and watermark, before it ran
//! DIR/state/N.delta     the keys batch N changed, with the engine's marks after it
//! DIR/state/N.snapshot  every key after batch N (every tenth batch)
//! DIR/commits/N         batch N committed: where to resume after it
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use serde::Deserialize;

use super::{Commit, Offsets, Pending, batch_ids, framed, from_json, input_log};
use crate::app::durable;
use crate::app::source::inbox::Rows;
use crate::engine::{DataType, Engine, Query};

/// The files of a checkpoint of formats 2 and 3: folder, and the endings of their names after
/// the batch id.
const FILES: [(&str, &[&str]); 4] = [
    ("input", &[""]),
    ("offsets", &[""]),
    ("state", &[".delta", ".snapshot"]),
    ("commits", &[""]),
];

/// When `folder` is one of a format-3 checkpoint's, the endings of its files' names after the
/// batch id.
pub fn batch_file_suffixes(folder: &str) -> Option<&'static [&'static str]> {
    FILES.iter().find(|(f, _)| *f == folder).map(|(_, s)| *s)
}

/// What such a checkpoint held.
pub struct Legacy {
    pub engine: Engine,
    /// The last commit, and when it was written (its file's time).
    pub last: Option<(Commit, Option<SystemTime>)>,
    pub pending: Option<Pending>,
}

/// The files of a checkpoint of formats 2 and 3 in `dir`.
pub struct Files<'a> {
    dir: &'a Path,
}

impl<'a> Files<'a> {
    pub fn new(dir: &'a Path) -> Self {
        Files { dir }
    }

    fn path(&self, folder: &str, id: u64, suffix: &str) -> PathBuf {
        self.dir.join(folder).join(format!("{id}{suffix}"))
    }

    fn ids(&self, folder: &str, suffix: &str) -> anyhow::Result<BTreeSet<u64>> {
        batch_ids(&self.dir.join(folder), suffix)
    }

    /// Whether any batch was logged.
    pub fn any(&self) -> anyhow::Result<bool> {
        Ok(!self.ids("offsets", "")?.is_empty() || !self.ids("commits", "")?.is_empty())
    }

    /// The files named as batches that do not begin as window-tui's.
    pub fn foreign(&self) -> anyhow::Result<Vec<PathBuf>> {
        let mut foreign = Vec::new();
        for (folder, suffixes) in FILES {
            for suffix in suffixes {
                let paths = self.ids(folder, suffix)?.into_iter();
                let paths = paths.map(|id| self.path(folder, id, suffix));
                foreign.extend(paths.filter(|path| !framed::begins_like_ours(path)));
            }
        }
        Ok(foreign)
    }

    /// Refuses files holding commits past `last`, the log's last commit: a build of the format
    /// before ran here after this one, and what it committed is not in the log.
    pub fn superseded_by(&self, last: Option<u64>) -> anyhow::Result<()> {
        if let Some(&newest) = self.ids("commits", "")?.last()
            && last.is_none_or(|last| newest > last)
        {
            anyhow::bail!(
                "{}: {} is past the checkpoint's log (its last commit: {}): a window-tui of \
                 checkpoint format 3 ran in this folder after this one. Go on with that build, \
                 or start over with --clean",
                self.dir.display(),
                self.path("commits", newest, "").display(),
                last.map_or_else(|| "none".to_string(), |id| format!("batch {id}"))
            );
        }
        Ok(())
    }

    /// Restores the state after the last commit, and the batch logged after it.
    pub fn restore(&self, query: Query, types: &[DataType]) -> anyhow::Result<Legacy> {
        let last_id = self.ids("commits", "")?.last().copied();
        let last = last_id
            .map(|id| {
                let path = self.path("commits", id, "");
                let at = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                read_json::<Commit>(&path, "commit").map(|commit| (commit, at))
            })
            .transpose()?;
        let mut engine = Engine::new(query);
        if let Some(last_id) = last_id {
            let snapshot_id = self
                .ids("state", ".snapshot")?
                .range(..=last_id)
                .last()
                .copied();
            let mut files: Vec<PathBuf> = snapshot_id
                .map(|id| self.path("state", id, ".snapshot"))
                .into_iter()
                .collect();
            let first_delta = snapshot_id.map_or(0, |id| id + 1);
            files.extend((first_delta..=last_id).map(|id| self.path("state", id, ".delta")));
            // One file at a time, so that damage names the file it is in.
            for path in &files {
                let kind = if path.extension().is_some_and(|e| e == "snapshot") {
                    "snapshot"
                } else {
                    "delta"
                };
                let body = framed::read(path, kind)?;
                engine.apply_state(&body).with_context(|| {
                    format!(
                        "{}: torn or corrupt (its state does not decode)",
                        path.display()
                    )
                })?;
            }
            if engine.next_batch_id() != last_id + 1 {
                anyhow::bail!(
                    "{}: the state says batch {} is next after commit {last_id}; the checkpoint cannot be trusted",
                    self.dir.display(),
                    engine.next_batch_id()
                );
            }
        }
        let next = last_id.map_or(0, |id| id + 1);
        let offsets_path = self.path("offsets", next, "");
        let pending = if offsets_path.exists() {
            let offsets: Offsets = read_json(&offsets_path, "offsets")?;
            let input_path = self.path("input", next, "");
            let input = input_path
                .exists()
                .then(|| read_input(&input_path, types))
                .transpose()?;
            Some(Pending { offsets, input })
        } else {
            None
        };
        Ok(Legacy {
            engine,
            last,
            pending,
        })
    }

    /// Removes every batch file (each that begins as window-tui's: another is left, and
    /// named), and each folder left empty.
    pub fn remove(&self) -> anyhow::Result<()> {
        let mut removed = false;
        for (folder, suffixes) in FILES {
            for suffix in suffixes {
                for id in self.ids(folder, suffix)? {
                    let path = self.path(folder, id, suffix);
                    if !framed::begins_like_ours(&path) {
                        tracing::warn!("left {}: not a window-tui checkpoint file", path.display());
                        continue;
                    }
                    std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove {}", path.display()))?;
                    removed = true;
                }
            }
            // A folder that holds anything else stays.
            removed |= std::fs::remove_dir(self.dir.join(folder)).is_ok();
        }
        if removed {
            durable::sync_dir(self.dir)?;
        }
        Ok(())
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, kind: &str) -> anyhow::Result<T> {
    from_json(path, &framed::read(path, kind)?)
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
