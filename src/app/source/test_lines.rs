//! JSON object lines for the JSON readers' property tests: members of names and values of
//! every kind, spaced every way, then broken as a stream can break them.

use std::fmt::Write as _;

/// The object of `members` (name, value, spacing around both), a comma after the last when
/// `trailing_comma`, one byte then changed (`changed`: where, to what) and the line cut at
/// `cut`; `None` when that leaves no UTF-8.
pub fn object_line(
    members: &[(&str, &str, &str)],
    trailing_comma: bool,
    changed: Option<(usize, u8)>,
    cut: Option<usize>,
) -> Option<String> {
    let mut line = String::from("{");
    for (i, (name, value, space)) in members.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        write!(line, "{space}\"{name}\"{space}:{space}{value}{space}").ok()?;
    }
    if trailing_comma {
        line.push(',');
    }
    line.push('}');
    let mut bytes = line.into_bytes();
    if let Some((at, byte)) = changed.filter(|(at, _)| *at < bytes.len()) {
        bytes[at] = byte;
    }
    if let Some(cut) = cut {
        bytes.truncate(cut);
    }
    String::from_utf8(bytes).ok()
}
