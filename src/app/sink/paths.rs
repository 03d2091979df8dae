//! Where the file sink's files go, as Spark names them: partition folder names
//! (`window=173300-173330`, escaped as `ExternalCatalogUtils.escapePathName` does) and the
//! `file://` URIs its `_spark_metadata` log lists (Hadoop's `Path.toUri`). Both were checked
//! against real Spark 3.5.3 writing and reading such folders.

use std::path::{Component, Path};

/// The folder value Spark uses for a NULL or empty partition value (`k=__HIVE_DEFAULT_PARTITION__`).
pub const DEFAULT_PARTITION_NAME: &str = "__HIVE_DEFAULT_PARTITION__";

/// Escapes a partition column name or value for its folder name (`k=<value>`), as Spark's
/// `ExternalCatalogUtils.escapePathName` does on Unix: U+0001–U+001F, `"`, `#`, `%`, `'`, `*`,
/// `/`, `:`, `=`, `?`, `\`, U+007F, `{`, `[`, `]` and `^` become `%XX` (uppercase hex); everything
/// else, spaces, `}`, `<>|,;!$@+&~` and non-ASCII included, stays. Callers map NULL and `""` to
/// [`DEFAULT_PARTITION_NAME`] first, as Spark does.
#[must_use]
pub fn escape_path_name(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if ('\u{1}'..='\u{1f}').contains(&c) || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            push_percent(&mut out, c as u8);
        } else {
            out.push(c);
        }
    }
    out
}

/// Non-ASCII space separators (Zs, Zl, Zp) above U+00A0, which `java.net.URI` escapes.
const JAVA_SPACES: &str = "\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

fn push_percent(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// The `"path"` Spark writes into `_spark_metadata` log entries: Hadoop's
/// `Path.toUri().toString()` of the qualified local path, `file:///abs/path`.
///
/// As `java.net.URI`'s multi-argument constructor does, it keeps ASCII letters, digits, `/`,
/// `-_.!~*'()` and `:@&=+$,;` and non-ASCII characters as they are (`日本`, `Ü`, emoji), and
/// `%XX`-escapes (UTF-8, uppercase hex) all other ASCII (space `%20`; `%` `%25`, so a folder
/// `k=a%3Db` becomes `k=a%253Db`; `#` `%23`; the quote, angle and square brackets, `?`,
/// backslash, caret, backtick, braces, `|`; controls) and the non-ASCII controls and spaces
/// (U+0080–U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Like Hadoop it
/// drops `.` segments, repeated and trailing slashes and resolves `..`; a relative path is made
/// absolute against the working directory. Non-UTF-8 names are converted lossily (U+FFFD).
#[must_use]
pub fn file_uri(path: &Path) -> String {
    let absolute;
    let path = if path.is_absolute() {
        path
    } else {
        absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        &absolute
    };
    let mut uri = String::from("file://");
    let base = uri.len();
    for component in path.components() {
        match component {
            Component::Normal(name) => {
                uri.push('/');
                for c in name.to_string_lossy().chars() {
                    let keep = if c.is_ascii() {
                        c.is_ascii_alphanumeric() || "-_.!~*'():@&=+$,;".contains(c)
                    } else {
                        // Java's Character.isISOControl / isSpaceChar (Unicode 13)
                        !(('\u{80}'..='\u{a0}').contains(&c) || JAVA_SPACES.contains(c))
                    };
                    if keep {
                        uri.push(c);
                    } else {
                        c.encode_utf8(&mut [0; 4])
                            .bytes()
                            .for_each(|b| push_percent(&mut uri, b));
                    }
                }
            }
            Component::ParentDir => {
                let cut = uri[base..].rfind('/').map_or(base, |i| base + i);
                uri.truncate(cut);
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    if uri.len() == base {
        uri.push('/');
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[rustfmt::skip]
    fn partition_folder_names() {
        for (value, want) in [
            ("p%q", "p%25q"), ("h#x", "h%23x"), ("e=f", "e%3Df"), ("c:d", "c%3Ad"), ("s/l", "s%2Fl"), ("q?", "q%3F"),
            ("st*r", "st%2Ar"), ("it's", "it%27s"), ("{b}", "%7Bb}"), ("[x]", "%5Bx%5D"), ("c^", "c%5E"),
            ("t\tx", "t%09x"), ("del\u{7f}", "del%7F"), ("x\"y", "x%22y"), ("back\\s", "back%5Cs"),
            ("per%25cent", "per%2525cent"), ("nl\nx", "nl%0Ax"), ("ctl\u{1}", "ctl%01"),
        ] {
            assert_eq!(escape_path_name(value), want);
        }
        for same in ["a b", "日本", "Ü", "p+q", "a&b", "~t", "@a", "c,d", "s;s", "<>", "a|b", " lead", "trail ", "$d", "!x", "😀"] {
            assert_eq!(escape_path_name(same), same);
        }
    }

    #[test]
    #[rustfmt::skip]
    fn metadata_log_uris() {
        for (path, want) in [
            ("/tmp/fmt/spark/sink out Ü日本/k=%25/p.csv", "file:///tmp/fmt/spark/sink%20out%20Ü日本/k=%2525/p.csv"),
            (
                "/tmp/x !\"#$%&'()*+,-.0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
                "file:///tmp/x%20!%22%23$%25&'()*+,-.0123456789:;%3C=%3E%3F@ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~",
            ),
            ("/tmp/nb\u{a0}sp", "file:///tmp/nb%C2%A0sp"), ("/tmp/nel\u{85}x", "file:///tmp/nel%C2%85x"),
            ("/tmp/ideo\u{3000}sp", "file:///tmp/ideo%E3%80%80sp"),
            ("/tmp/ls\u{2028}ps\u{2029}", "file:///tmp/ls%E2%80%A8ps%E2%80%A9"),
            ("/tmp/zw\u{200b}\u{feff}😀", "file:///tmp/zw\u{200b}\u{feff}😀"),
            ("/tmp/ctl\u{1}\u{1f}\u{7f}\tx", "file:///tmp/ctl%01%1F%7F%09x"), ("/tmp/trail/", "file:///tmp/trail"),
            ("/tmp//double//slash", "file:///tmp/double/slash"), ("/tmp/./dot/../up", "file:///tmp/up"),
            ("/", "file:///"),
        ] {
            assert_eq!(file_uri(Path::new(path)), want);
        }
    }
}
