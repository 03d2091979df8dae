//! Text for the exported program: Python string literals, shell words, the template's
//! `@NAME@` placeholders and `# <block>` sections, and word wrapping for its docstring.

use std::fmt::Write as _;

/// A word for a POSIX shell: as it is when safe, else in single quotes.
pub fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Words as a shell command, continued with ` \` onto lines starting with `indent` to stay
/// within `width` columns where it can; a flag stays on the line of its value.
pub fn shell_lines(words: &[String], width: usize, indent: &str) -> String {
    let mut units: Vec<String> = Vec::new();
    for word in words {
        let word = shell_word(word);
        match units.last_mut() {
            Some(last)
                if last.starts_with("--") && !last.contains(' ') && !word.starts_with("--") =>
            {
                last.push(' ');
                last.push_str(&word);
            }
            _ => units.push(word),
        }
    }
    let mut out = String::new();
    let mut column = 0;
    for unit in units {
        let len = unit.chars().count();
        if column > 0 && column + 1 + len + 2 > width {
            out.push_str(" \\\n");
            out.push_str(indent);
            column = indent.len();
        } else if column > 0 {
            out.push(' ');
            column += 1;
        }
        out.push_str(&unit);
        column += len;
    }
    out
}

/// A Python string literal in double quotes.
pub fn py_str(text: &str) -> String {
    format!("\"{}\"", escape(text, |_| true))
}

/// Text made safe inside a Python docstring (`"""`): backslashes and control characters
/// escaped, and a quote that another quote follows (or that ends the text), so that no `"""`
/// can close the docstring.
pub fn doc_text(text: &str) -> String {
    escape(text, |next| next.is_none_or(|c| c == '"'))
}

/// `text` with backslashes and control characters escaped, and each quote for which
/// `quote_needs_escape(next character)` holds.
fn escape(text: &str, quote_needs_escape: impl Fn(Option<char>) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' if quote_needs_escape(chars.peek().copied()) => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Fills `@NAME@` placeholders in one pass (a value is never scanned again).
pub fn substitute(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(after.len());
        let value = (after[name_len..].starts_with('@'))
            .then(|| values.iter().find(|(n, _)| *n == &after[..name_len]))
            .flatten();
        if let Some((_, value)) = value {
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('@');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Keeps the lines of `# <block>` ... `# </block>` for the blocks in `keep`, drops the other
/// blocks and the marker lines, and never leaves more than two blank lines in a row.
pub fn keep_blocks(template: &str, keep: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut inside: Option<&str> = None;
    let mut blank = 0;
    for line in template.split_inclusive('\n') {
        let marker = line.trim_end();
        if let Some(name) = marker
            .strip_prefix("# </")
            .and_then(|m| m.strip_suffix('>'))
        {
            debug_assert_eq!(inside, Some(name), "unbalanced template block");
            inside = None;
            continue;
        }
        if let Some(name) = marker.strip_prefix("# <").and_then(|m| m.strip_suffix('>')) {
            inside = Some(name);
            continue;
        }
        if inside.is_some_and(|name| !keep.contains(&name)) {
            continue;
        }
        blank = if marker.is_empty() { blank + 1 } else { 0 };
        if blank <= 2 {
            out.push_str(line);
        }
    }
    out
}

/// `text` wrapped at `width` columns; the first line starts `first` columns in, the others
/// with `indent`.
pub fn wrap(text: &str, width: usize, first: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut column = first;
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && column + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            column = indent.len();
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        line_empty = false;
    }
    out
}
