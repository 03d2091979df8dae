//! Errors and exit statuses: 2 for bad usage or input, 1 for failures, 0 for a closed pipe.

/// `eprintln!` that never panics: a line of diagnostics for stderr, lost (not the run) when
/// stderr is closed or full (`2>&1 | head`, `2>/dev/full`).
#[macro_export]
macro_rules! diag {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::fmt::Write as _;
use std::io;

/// An error caused by what the user gave: a flag, a file's contents, a duration. Exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Marks an error as the user's input being wrong.
pub trait OrBadInput<T> {
    fn or_bad_input(self) -> anyhow::Result<T>;
}

impl<T, E: std::fmt::Display> OrBadInput<T> for Result<T, E> {
    fn or_bad_input(self) -> anyhow::Result<T> {
        self.map_err(|e| BadInput(e.to_string()).into())
    }
}

/// The process exit status for an error.
pub fn exit_status(err: &anyhow::Error) -> u8 {
    if is_broken_pipe(err) {
        0
    } else if err
        .chain()
        .any(<dyn std::error::Error + 'static>::is::<BadInput>)
    {
        2
    } else {
        1
    }
}

/// `text` safe to print on a terminal: control characters (C0 but line feed and tab, DEL, C1)
/// from a file or a socket are written as escapes (`\x1b`, `\u{9b}`), so that an error quoting
/// them cannot retitle, recolour or clear the user's terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let is_raw = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(is_raw) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match u32::from(c) {
            _ if !is_raw(c) => out.push(c),
            code @ 0..=0x7f => {
                let _ = write!(out, "\\x{code:02x}");
            }
            code => {
                let _ = write!(out, "\\u{{{code:x}}}");
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Whoever read our standard output went away (`| head`): not a failure of ours.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain: 17:33 é"), "plain: 17:33 é");
        assert_eq!(
            escape_controls("bad header \u{1b}]0;PWNED\u{7}\r\u{9b}31m\u{7f}"),
            "bad header \\x1b]0;PWNED\\x07\\x0d\\u{9b}31m\\x7f"
        );
        assert_eq!(
            escape_controls("two\nlines\tand a tab"),
            "two\nlines\tand a tab"
        );
    }

    #[test]
    fn statuses() {
        let bad: anyhow::Error = BadInput("no".into()).into();
        assert_eq!(exit_status(&bad.context("while reading")), 2);
        let failed = anyhow::anyhow!("disk on fire");
        assert_eq!(exit_status(&failed), 1);
        let pipe = Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing rows")
            .unwrap_err();
        assert_eq!(exit_status(&pipe), 0);
        assert_eq!(
            exit_status(&Err::<(), _>("x").or_bad_input().unwrap_err()),
            2
        );
    }
}
