//! The folders a run writes to, claimed before it starts: the checkpoint and (when the file sink
//! is among `--sink`) the output folder are locked against another run ([`lock`]), and with
//! `--clean` emptied first, but only of what window-tui wrote there.
//!
//! `--clean` takes a checkpoint only when its `metadata` file is window-tui's (framed as
//! [`framed`](crate::app::runtime::checkpoint::framed) writes it) or, that file gone, when a
//! batch file in its `log/` (or a format-3 folder) is window-tui's by its name and its header,
//! and an output folder only
//! when it has a `_spark_metadata` log; any other non-empty folder is refused (exit status 2)
//! before anything is removed. Within a folder it takes, it removes only the files window-tui
//! names as it does (batch files, part files, files written aside) and leaves anything else,
//! saying so. What it removed is said on stderr.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::app::durable;
use crate::app::error::{BadInput, escape_controls};
use crate::app::lock;
use crate::app::runtime::checkpoint;
use crate::app::sink::part_name;

/// The file sink's log folder.
const SINK_LOG: &str = "_spark_metadata";

/// Refuses (exit status 2) a file the run would write, each named with its option (`--progress`,
/// `--record`), when it is a folder or its folder does not exist: found before any folder is
/// created, rather than when the file is opened after the checkpoint has been.
pub fn check_files<'a>(
    files: impl IntoIterator<Item = (Option<&'a Path>, &'a str)>,
) -> anyhow::Result<()> {
    for (path, flag) in files {
        let Some(path) = path else { continue };
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let why = if path.is_dir() {
            "is a folder".to_string()
        } else if !folder.is_dir() {
            format!(
                "cannot be written: its folder {} does not exist",
                folder.display()
            )
        } else {
            continue;
        };
        return Err(BadInput(format!("{flag} {} {why}", path.display())).into());
    }
    Ok(())
}

/// Claims the run's folders: `checkpoint` (if the run keeps one) and `output` (if the file sink
/// is among `--sink`). A folder another run holds is refused; with `clean`, each is first
/// checked to be window-tui's, then locked, then emptied of what window-tui wrote.
pub fn claim(checkpoint: Option<&Path>, output: Option<&Path>, clean: bool) -> anyhow::Result<()> {
    // A path that is not a folder is refused before either folder is created or locked.
    let folders = [
        (checkpoint, "the checkpoint", "--checkpoint"),
        (output, "the output folder", "--output"),
    ];
    for (dir, what, flag) in folders {
        if let Some(dir) = dir
            && dir.exists()
            && !dir.is_dir()
        {
            return Err(BadInput(format!(
                "{what} {} is not a folder; use another {flag}",
                dir.display()
            ))
            .into());
        }
    }
    if let (Some(checkpoint), Some(output)) = (checkpoint, output) {
        // Resolved as far as they exist (links too), then by their names (`./x` is `x`).
        let place = |dir: &Path| {
            fs::canonicalize(dir).unwrap_or_else(|_| {
                let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
                absolute
                    .components()
                    .fold(PathBuf::new(), |mut path, part| {
                        match part {
                            std::path::Component::CurDir => {}
                            std::path::Component::ParentDir => {
                                path.pop();
                            }
                            part => path.push(part),
                        }
                        path
                    })
            })
        };
        if place(checkpoint) == place(output) {
            return Err(BadInput(format!(
                "--checkpoint and --output are the same folder, {}: give each its own",
                output.display()
            ))
            .into());
        }
    }
    if clean {
        if let Some(dir) = checkpoint {
            check_checkpoint(dir)?;
        }
        if let Some(dir) = output {
            check_output(dir)?;
        }
    }
    // A checkpoint folder this claim creates (and the folders above it it creates) goes again
    // when the output folder is refused: a refused start leaves nothing behind.
    let created = checkpoint.and_then(|dir| {
        dir.ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .last()
    });
    if let Some(dir) = checkpoint {
        lock::hold(dir, "the checkpoint", "--checkpoint")?;
    }
    if let Some(dir) = output
        && let Err(e) = lock::hold(dir, "the output folder", "--output")
    {
        if let (Some(dir), Some(top)) = (checkpoint, created) {
            let _ = fs::remove_file(dir.join(lock::LOCK_FILE));
            // Empty folders only: from the checkpoint up to the first this claim created.
            for folder in dir.ancestors().take_while(|a| a.starts_with(top)) {
                let _ = fs::remove_dir(folder);
            }
        }
        return Err(e);
    }
    if clean {
        if let Some(dir) = checkpoint {
            checkpoint::forget_batches(dir)?;
            let removed = remove_checkpoint(dir)?;
            report(dir, "the checkpoint", &removed);
        }
        if let Some(dir) = output {
            let removed = remove_output(dir)?;
            report(dir, "the output folder", &removed);
        }
    }
    Ok(())
}

/// The names in `dir` but the lock file; `None` when there is no such folder.
fn entries(dir: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let list = match fs::read_dir(dir) {
        Ok(list) => list,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("--clean: cannot list {}", dir.display())),
    };
    let mut names = Vec::new();
    for entry in list {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !lock::is_lock_file(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(Some(names))
}

fn refuse(dir: &Path, what: &str, why: &str, flag: &str) -> anyhow::Error {
    BadInput(format!(
        "--clean: {} is not {what} ({why}), so it is left as it is; remove it yourself if it \
         is to go, or use another {flag}",
        dir.display()
    ))
    .into()
}

/// A folder `--clean` may empty as a checkpoint: none, an empty one, or one whose `metadata`
/// is window-tui's.
fn check_checkpoint(dir: &Path) -> anyhow::Result<()> {
    let what = "a window-tui checkpoint";
    match entries(dir)? {
        None => Ok(()),
        Some(names) if names.is_empty() => Ok(()),
        Some(_) if has_checkpoint_header(&dir.join("metadata"), |kind| kind == "metadata") => {
            Ok(())
        }
        Some(_) if !dir.join("metadata").exists() && has_checkpoint_batches(dir) => Ok(()),
        Some(_) => Err(refuse(
            dir,
            what,
            "it has no metadata file written by window-tui",
            "--checkpoint",
        )),
    }
}

/// Whether `dir` holds a batch file of window-tui's: in one of a checkpoint's folders (`log/`,
/// or a format-3 one), named as window-tui names them, and starting with its header.
fn has_checkpoint_batches(dir: &Path) -> bool {
    let Ok(Some(folders)) = entries(dir) else {
        return false;
    };
    folders.iter().any(|folder| {
        let Some(suffixes) = checkpoint::batch_file_suffixes(folder) else {
            return false;
        };
        let Ok(Some(files)) = entries(&dir.join(folder)) else {
            return false;
        };
        files.iter().any(|file| {
            is_batch_file(file, suffixes)
                && has_checkpoint_header(&dir.join(folder).join(file), |kind| kind != "metadata")
        })
    })
}

/// Whether `path` begins as window-tui's checkpoint files do, `window-tui-checkpoint vN KIND`
/// (any format version: an older checkpoint is still window-tui's), with a KIND `kind` takes.
fn has_checkpoint_header(path: &Path, kind: impl Fn(&str) -> bool) -> bool {
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut header = String::new();
    if BufReader::new(file.take(4096))
        .read_line(&mut header)
        .is_err()
    {
        return false;
    }
    // Every checkpoint file window-tui writes begins `MAGIC vN`, whatever its format version.
    let Some(rest) = header
        .strip_prefix(checkpoint::framed::MAGIC)
        .and_then(|rest| rest.strip_prefix(" v"))
    else {
        return false;
    };
    let mut fields = rest.split(' ');
    let version = fields.next().unwrap_or_default();
    !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit())
        && fields
            .next()
            .map(str::trim_end)
            .is_some_and(|k| !k.is_empty() && kind(k))
}

/// A folder `--clean` may empty as the file sink's: none, an empty one, or one with a
/// `_spark_metadata` log and no part file of another writer (a Spark job's, whose entries in
/// that log would go with window-tui's).
fn check_output(dir: &Path) -> anyhow::Result<()> {
    let what = "an output folder window-tui wrote";
    match entries(dir)? {
        None => Ok(()),
        Some(names) if names.is_empty() => Ok(()),
        Some(names) if dir.join(SINK_LOG).is_dir() => match foreign_part(dir, &names)? {
            Some(part) => Err(BadInput(format!(
                "--clean: the output folder {} holds part files window-tui did not write ({part}, \
                 a Spark job's, say), which its _spark_metadata log may list, so nothing is \
                 removed; use another --output, or move them out first",
                dir.display()
            ))
            .into()),
            None => Ok(()),
        },
        Some(_) => Err(refuse(
            dir,
            what,
            "it has no _spark_metadata log",
            "--output",
        )),
    }
}

/// The first part file (by its name) of the partition folders among `names` in `dir` that
/// window-tui did not write, as `window=…/part-…`.
fn foreign_part(dir: &Path, names: &[String]) -> anyhow::Result<Option<String>> {
    for name in names
        .iter()
        .filter(|n| n.starts_with("window=") && dir.join(n).is_dir())
    {
        let parts = entries(&dir.join(name))?.unwrap_or_default();
        if let Some(part) = parts.iter().find(|p| {
            let p = unaside(p);
            p.starts_with("part-") && p.ends_with(".c000.csv") && !part_name::is_window_tuis(p)
        }) {
            return Ok(Some(format!("{name}/{}", escape_controls(part))));
        }
    }
    Ok(None)
}

/// Whether `path` is a folder itself, not a symbolic link to one (whose files are elsewhere).
fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// A file name without the aside form durable writes use (`.NAME.tmp`).
fn unaside(name: &str) -> &str {
    name.strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .unwrap_or(name)
}

/// Whether `name` is a batch file: a batch id as window-tui writes it (`7`, not `07`) then one
/// of `suffixes` (`""` for none), or such a name written aside.
fn is_batch_file(name: &str, suffixes: &[&str]) -> bool {
    let name = unaside(name);
    suffixes.iter().any(|s| {
        name.strip_suffix(s)
            .is_some_and(|stem| durable::batch_id(stem).is_some())
    })
}

/// Files removed, and names left that window-tui did not write.
#[derive(Debug, Default)]
struct Removed {
    files: u64,
    left: Vec<String>,
}

impl Removed {
    /// Removes the files of `dir` that `ours` accepts, then `dir` if that emptied it; whatever
    /// else is there is noted as left, by its path under `base`.
    fn sweep(&mut self, dir: &Path, base: &str, ours: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let Some(names) = entries(dir)? else {
            return Ok(());
        };
        let mut kept = false;
        for name in names {
            let path = dir.join(&name);
            if ours(&name) && path.is_file() {
                fs::remove_file(&path)
                    .with_context(|| format!("--clean: cannot remove {}", path.display()))?;
                self.files += 1;
            } else {
                kept = true;
                self.left.push(format!("{base}{name}"));
            }
        }
        if !kept {
            fs::remove_dir(dir)
                .with_context(|| format!("--clean: cannot remove {}", dir.display()))?;
        }
        Ok(())
    }
}

fn remove_checkpoint(dir: &Path) -> anyhow::Result<Removed> {
    let mut removed = Removed::default();
    let Some(names) = entries(dir)? else {
        return Ok(removed);
    };
    for name in names {
        let path = dir.join(&name);
        // By name, then by what a file begins with; a symbolic link is not followed.
        let ours = |path: &Path| checkpoint::framed::begins_like_ours(path);
        if let Some(suffixes) = checkpoint::batch_file_suffixes(&name)
            && is_real_dir(&path)
        {
            removed.sweep(&path, &format!("{name}/"), |n| {
                is_batch_file(n, suffixes) && ours(&path.join(n))
            })?;
        } else if matches!(unaside(&name), "metadata") && path.is_file() && ours(&path) {
            fs::remove_file(&path)
                .with_context(|| format!("--clean: cannot remove {}", path.display()))?;
            removed.files += 1;
        } else {
            removed.left.push(name);
        }
    }
    Ok(removed)
}

fn remove_output(dir: &Path) -> anyhow::Result<Removed> {
    let mut removed = Removed::default();
    let Some(names) = entries(dir)? else {
        return Ok(removed);
    };
    for name in names {
        let path = dir.join(&name);
        if name == SINK_LOG && is_real_dir(&path) {
            removed.sweep(&path, &format!("{name}/"), |n| {
                is_batch_file(n, &["", ".compact"])
            })?;
        } else if name.starts_with("window=") && is_real_dir(&path) {
            removed.sweep(&path, &format!("{name}/"), part_name::is_window_tuis)?;
        } else {
            removed.left.push(name);
        }
    }
    Ok(removed)
}

/// Says on stderr what `--clean` removed from `dir`, and what it left.
fn report(dir: &Path, what: &str, removed: &Removed) {
    let shown = escape_controls(&dir.display().to_string()).into_owned();
    if removed.files > 0 {
        crate::diag!(
            "window-tui: --clean: removed {what} {shown} ({} file{})",
            removed.files,
            if removed.files == 1 { "" } else { "s" }
        );
    }
    if !removed.left.is_empty() {
        let mut names: Vec<String> = removed
            .left
            .iter()
            .take(5)
            .map(|n| escape_controls(n).into_owned())
            .collect();
        if removed.left.len() > 5 {
            names.push(format!("and {} more", removed.left.len() - 5));
        }
        crate::diag!(
            "window-tui: --clean: left in {shown} what window-tui did not write: {}",
            names.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_window_tui_names_count_as_its_files() {
        let names = ["", ".delta", ".snapshot"];
        for ours in ["0", "17", ".17.tmp", "9.delta", ".10.snapshot.tmp"] {
            assert!(is_batch_file(ours, &names), "{ours}");
        }
        for not in [
            "",
            "notes",
            "1.txt",
            ".tmp",
            "thesis.tex",
            ".hidden",
            "07",
            "+5",
        ] {
            assert!(!is_batch_file(not, &names), "{not}");
        }
    }

    #[test]
    fn each_checkpoint_folder_has_its_own_names() {
        let log = checkpoint::batch_file_suffixes("log").unwrap();
        assert!(is_batch_file("17", log) && is_batch_file(".18.tmp", log));
        assert!(!is_batch_file("9.delta", log), "a log is never named so");
        let state = checkpoint::batch_file_suffixes("state").unwrap();
        assert!(is_batch_file("9.delta", state) && is_batch_file("10.snapshot", state));
        assert!(!is_batch_file("9", state), "format 3 never wrote it");
        assert_eq!(checkpoint::batch_file_suffixes("notes"), None);
    }

    #[test]
    fn a_metadata_file_is_window_tuis_by_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metadata");
        let is_metadata = |path: &Path| has_checkpoint_header(path, |kind| kind == "metadata");
        crate::app::runtime::checkpoint::framed::write(&path, "metadata", b"{}").unwrap();
        assert!(is_metadata(&path));
        fs::write(&path, "window-tui-checkpoint v1 metadata 2 00000000\n{}").unwrap();
        assert!(is_metadata(&path), "an older format is still ours");
        for foreign in ["", "my notes\n", "window-tui-checkpoint v2 commit 2 0\n{}"] {
            fs::write(&path, foreign).unwrap();
            assert!(!is_metadata(&path), "{foreign:?}");
        }
    }

    #[test]
    fn a_checkpoint_without_metadata_is_window_tuis_by_its_batch_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        fs::create_dir(&log).unwrap();
        fs::write(log.join("notes"), "window-tui-checkpoint v4 log q-1\n").unwrap();
        fs::write(log.join("0"), "my own log\n").unwrap();
        fs::create_dir(dir.path().join("mine")).unwrap();
        fs::write(
            dir.path().join("mine/0"),
            "window-tui-checkpoint v4 log q\n",
        )
        .unwrap();
        assert!(
            !has_checkpoint_batches(dir.path()),
            "named or framed otherwise"
        );
        assert!(check_checkpoint(dir.path()).is_err());
        fs::write(log.join("7"), "window-tui-checkpoint v4 log q-1\n").unwrap();
        assert!(has_checkpoint_batches(dir.path()));
        assert!(check_checkpoint(dir.path()).is_ok());
        fs::write(dir.path().join("metadata"), "my notes\n").unwrap();
        assert!(check_checkpoint(dir.path()).is_err(), "a metadata not ours");
    }
}
