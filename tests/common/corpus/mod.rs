//! The conformance corpus as check.py reads it: each case folder's query (`query.env`, or the
//! seed's `params.env`), the command line check.py runs for it, and running that command.
//!
//! The checks themselves are in the submodules: [`rows`] (rows and progress, the json sink),
//! [`console`] (the console sink) and [`files`] (the file sink and its `_spark_metadata` log);
//! [`cells`] types the cells of every row as check.py's `column_types()` and `typed()` do.

pub mod cells;
pub mod console;
pub mod files;
pub mod rows;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::{BIN, hermetic};
use cells::{Column, column_types};

/// check.py's per-run timeout.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A case's query: check.py's `params()`.
#[derive(Debug, Clone)]
pub struct Query {
    /// Read from a `query.env` (the whole query family) rather than a `params.env` (the seed's
    /// query: `event_time TIMESTAMP, value STRING`, grouped by value, counted, in append mode).
    pub general: bool,
    /// The `KEY=value` settings, with the seed's defaults filled in.
    pub settings: BTreeMap<String, String>,
    /// The group-by columns, in order.
    pub group: Vec<String>,
    /// The output columns after the window: the group-by columns, then the aggregates.
    pub columns: Vec<Column>,
}

impl Query {
    /// Parses the text of a `query.env` (`general`) or a `params.env`: `KEY=value` or
    /// `KEY="value"` lines over the seed's defaults.
    pub fn parse(text: &str, general: bool) -> Result<Query, String> {
        let mut settings: BTreeMap<String, String> = [
            ("SCHEMA", "event_time TIMESTAMP, value STRING"),
            ("EVENT_TIME", "event_time"),
            ("GROUP_BY", "value"),
            ("AGGS", "count"),
            ("OUTPUT_MODE", "append"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for line in text.lines() {
            // Python's `line.strip().partition("=")`: a line without `=` sets its key to "".
            let line = line.trim();
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            if !key.is_empty() {
                settings.insert(key.to_string(), value.trim_matches('"').to_string());
            }
        }
        let mut types = BTreeMap::new();
        for column in settings["SCHEMA"].split(',') {
            let mut words = column.split_whitespace();
            match (words.next(), words.next()) {
                (Some(name), Some(kind)) => {
                    types.insert(name.to_string(), kind.to_uppercase());
                }
                _ => return Err(format!("SCHEMA: {column:?} is not `name TYPE`")),
            }
        }
        let list = |key: &str| -> Vec<String> {
            settings[key]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let (group, aggs) = (list("GROUP_BY"), list("AGGS"));
        let columns = column_types(&types, &group, &aggs)?;
        Ok(Query {
            general,
            settings,
            group,
            columns,
        })
    }

    /// The query of a case folder: its `query.env` if it has one, else its `params.env`.
    pub fn load(dir: &Path) -> Result<Query, String> {
        let general = dir.join("query.env");
        let general = general.is_file().then_some(general);
        let path = general.clone().unwrap_or_else(|| dir.join("params.env"));
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Query::parse(&text, general.is_some()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A setting that has no default.
    pub fn get(&self, key: &str) -> Result<&str, String> {
        self.settings
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("the query has no {key}"))
    }

    /// `append`, `update` or `complete`.
    pub fn mode(&self) -> &str {
        &self.settings["OUTPUT_MODE"]
    }

    /// The query's command-line options: check.py's `query_args()`.
    pub fn args(&self) -> Result<Vec<String>, String> {
        let mut args = Vec::new();
        let mut set = |flag: &str, value: &str| {
            args.push(flag.to_string());
            args.push(value.to_string());
        };
        if !self.general {
            set("--window", self.get("WINDOW")?);
            set("--slide", self.get("SLIDE")?);
            set("--watermark", self.get("WATERMARK")?);
            return Ok(args);
        }
        set("--schema", self.get("SCHEMA")?);
        set("--event-time", self.get("EVENT_TIME")?);
        set("--group-by", self.get("GROUP_BY")?);
        set("--agg", self.get("AGGS")?);
        if let Some(gap) = self.settings.get("SESSION_GAP").filter(|g| !g.is_empty()) {
            set("--session-gap", gap);
        } else {
            set("--window", self.get("WINDOW")?);
            set("--slide", self.get("SLIDE")?);
        }
        set("--watermark", self.get("WATERMARK")?);
        set("--output-mode", self.mode());
        Ok(args)
    }
}

/// One scenario folder.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub query: Query,
}

impl Case {
    pub fn load(dir: &Path) -> Result<Case, String> {
        Ok(Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir: dir.to_path_buf(),
            query: Query::load(dir)?,
        })
    }
}

/// The corpus folder, `tests/conformance/`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Every folder of the corpus with an `expected.csv`, by name.
pub fn cases() -> Vec<Case> {
    let root = root();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list the corpus {}: {e}", root.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.join("expected.csv").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| Case::load(dir).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// The command as a shell would show it (quoted as Python's `shlex.quote`), for messages.
fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|arg| {
            let arg = arg.to_string_lossy();
            let safe = |c: char| c.is_alphanumeric() || "_@%+=:,./-".contains(c);
            if arg.is_empty() || !arg.chars().all(safe) {
                format!("'{}'", arg.replace('\'', r"'\''"))
            } else {
                arg.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a run ended.
pub struct Outcome {
    /// The command, as a shell would show it.
    pub shown: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `window-tui replay EVENTS QUERY EXTRA...` as check.py does (`TZ=UTC`, `NO_COLOR=1`,
/// stdin closed, no `WINDOW_TUI_*` variable) and waits for it; not finishing in [`TIMEOUT`] is
/// an error.
pub fn execute(case: &Case, extra: &[&OsStr]) -> Result<Outcome, String> {
    let mut cmd = Command::new(BIN);
    cmd.arg("replay")
        .arg(case.dir.join("events.csv"))
        .args(case.query.args()?)
        .args(extra);
    hermetic(&mut cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = shown(&cmd);
    let mut child = cmd.spawn().map_err(|e| format!("`{shown}`: {e}"))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` did not finish in {TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("`{shown}`: {e}")),
        }
    };
    let stdout = stdout.join().unwrap().map_err(|e| e.to_string())?;
    let stderr = stderr.join().unwrap().map_err(|e| e.to_string())?;
    Ok(Outcome {
        shown,
        status,
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// The last `n` characters of `text`, trimmed.
pub fn tail(text: &str, n: usize) -> String {
    let text = text.trim();
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

/// [`execute`], which must succeed; returns the standard output, which must be UTF-8.
/// Runs `case` into the json sink with `--progress PROGRESS`: its stdout.
pub fn run_json(case: &Case, progress: &Path) -> Result<String, String> {
    run(
        case,
        &[
            "--sink".as_ref(),
            "json".as_ref(),
            "--progress".as_ref(),
            progress.as_os_str(),
        ],
    )
}

pub fn run(case: &Case, extra: &[&OsStr]) -> Result<String, String> {
    let Outcome {
        shown,
        status,
        stdout,
        stderr,
    } = execute(case, extra)?;
    if !status.success() {
        return Err(format!(
            "`{shown}` exited with {status}: {}",
            tail(&stderr, 400)
        ));
    }
    String::from_utf8(stdout).map_err(|e| format!("`{shown}`: standard output is not UTF-8: {e}"))
}
