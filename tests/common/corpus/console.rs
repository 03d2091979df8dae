//! The console check: the `Batch: N` tables of `--sink console` against Spark's `console.txt`.
//! Spark's row order inside a table is arbitrary, so data rows are sorted; a table Spark cut at
//! 20 rows (`only showing top 20 rows`) shows an arbitrary 20 and is compared by shape only.

use std::collections::BTreeMap;
use std::fs;

use super::{Case, run};

pub fn check_console(case: &Case) -> Result<(), String> {
    let stdout = run(case, &["--sink".as_ref(), "console".as_ref()])?;
    verify_console(case, &stdout)
}

pub fn verify_console(case: &Case, stdout: &str) -> Result<(), String> {
    let spark = fs::read_to_string(case.dir.join("console.txt"))
        .map_err(|e| format!("console.txt: {e}"))?;
    // Python reads console.txt with universal newlines.
    let spark = spark.replace("\r\n", "\n").replace('\r', "\n");
    let want = console_blocks(&spark).map_err(|e| format!("console.txt: {e}"))?;
    let got = console_blocks(stdout).map_err(|e| format!("console: {e}"))?;
    if want.keys().ne(got.keys()) {
        let head = |m: &BTreeMap<u64, Vec<String>>| m.keys().take(30).copied().collect::<Vec<_>>();
        return Err(format!(
            "console: batches {:?} printed, Spark printed {:?}",
            head(&got),
            head(&want)
        ));
    }
    for (batch, lines) in &want {
        let (w, w_truncated) = normalize_table(lines);
        let (g, g_truncated) = normalize_table(&got[batch]);
        if w_truncated {
            // Spark shows an arbitrary 20 rows: compare the shape only.
            if !g_truncated || g.len() != w.len() {
                return Err(format!(
                    "console batch {batch}: expected 20 rows and 'only showing top 20 rows'"
                ));
            }
            continue;
        }
        if w != g {
            let first = w
                .iter()
                .zip(&g)
                .position(|(x, y)| x != y)
                .unwrap_or(w.len().min(g.len()));
            let at = |t: &[String]| {
                t.get(first)
                    .map_or("<none>".to_string(), |l| format!("{l:?}"))
            };
            return Err(format!(
                "console batch {batch}, table line {}:\n  Spark: {}\n  ours:  {}",
                first + 1,
                at(&w),
                at(&g)
            ));
        }
    }
    Ok(())
}

const RULE: &str = "-------------------------------------------";

/// Splits console output at its `Batch: N` headers (43 dashes, `Batch: N`, 43 dashes); each block
/// keeps its non-blank lines. Text before the first header is ignored.
fn console_blocks(text: &str) -> Result<BTreeMap<u64, Vec<String>>, String> {
    debug_assert_eq!(RULE.len(), 43);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut blocks: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut current: Option<u64> = None;
    let mut i = 0;
    while i < lines.len() {
        // A header needs a line break after its closing rule.
        let batch = if i + 3 < lines.len() && lines[i] == RULE && lines[i + 2] == RULE {
            lines[i + 1]
                .strip_prefix("Batch: ")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u64>().ok())
        } else {
            None
        };
        if let Some(batch) = batch {
            if blocks.insert(batch, Vec::new()).is_some() {
                return Err(format!("batch {batch} printed twice"));
            }
            current = Some(batch);
            i += 3;
            continue;
        }
        if let Some(batch) = current
            && !lines[i].trim().is_empty()
        {
            blocks.get_mut(&batch).unwrap().push(lines[i].to_string());
        }
        i += 1;
    }
    Ok(blocks)
}

/// Sorts the data rows of a `show()` table, keeping borders and header; says whether the table
/// ended with `only showing top N rows` (which is taken off).
pub fn normalize_table(lines: &[String]) -> (Vec<String>, bool) {
    let truncated = lines
        .last()
        .is_some_and(|l| l.starts_with("only showing top"));
    let body = if truncated {
        &lines[..lines.len() - 1]
    } else {
        lines
    };
    if body.len() < 4 {
        return (body.to_vec(), truncated);
    }
    let mut rows = body[3..body.len() - 1].to_vec();
    rows.sort();
    let mut out = body[..3].to_vec();
    out.extend(rows);
    out.push(body[body.len() - 1].clone());
    (out, truncated)
}
