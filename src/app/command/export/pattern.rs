//! `--window-format`: window-tui's chrono pattern for each end of the window column, and the Spark
//! datetime pattern (`date_format`) that writes the same text in the exported program.

use chrono::format::StrftimeItems;

use crate::app::error::BadInput;

/// The pattern of each end of the window column: a chrono pattern (window-tui's
/// `--window-format`) and the Spark datetime pattern that writes the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowPattern {
    chrono: String,
    spark: String,
}

impl Default for WindowPattern {
    /// `%H%M%S`, Spark's `HHmmss`: the seed's `173300-173330`.
    fn default() -> Self {
        WindowPattern {
            chrono: "%H%M%S".into(),
            spark: "HHmmss".into(),
        }
    }
}

impl WindowPattern {
    /// Translates a chrono pattern; a specifier without a Spark equivalent is refused.
    pub fn from_chrono(pattern: &str) -> Result<Self, BadInput> {
        if pattern.is_empty() || StrftimeItems::new(pattern).parse().is_err() {
            return Err(BadInput(format!(
                "--window-format {pattern:?} is not a valid chrono pattern"
            )));
        }
        let mut spark = String::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            // A specifier runs to its conversion letter (or `%`): `%H`, `%-d`, `%.3f`, `%:z`.
            let mut spec = String::new();
            for next in chars.by_ref() {
                spec.push(next);
                if next.is_ascii_alphabetic() || next == '%' {
                    break;
                }
            }
            let (text, letters) = match spec.as_str() {
                "%" => ("%", ""),
                ".3f" => (".", "SSS"),
                ".6f" => (".", "SSSSSS"),
                ".9f" => (".", "SSSSSSSSS"),
                other => ("", spark_letters(other).ok_or_else(|| unsupported(&spec))?),
            };
            literal.push_str(text);
            if !letters.is_empty() {
                spark.push_str(&quote_literal(&std::mem::take(&mut literal)));
                spark.push_str(letters);
            }
        }
        spark.push_str(&quote_literal(&literal));
        Ok(WindowPattern {
            chrono: pattern.to_string(),
            spark,
        })
    }

    /// The chrono pattern, as window-tui's `--window-format` takes it.
    pub fn chrono(&self) -> &str {
        &self.chrono
    }

    /// The Spark datetime pattern (`date_format`).
    pub fn spark(&self) -> &str {
        &self.spark
    }
}

/// The Spark pattern letters of a chrono specifier (without its `%`).
fn spark_letters(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "Y" => "yyyy",
        "y" => "yy",
        "m" => "MM",
        "-m" => "M",
        "b" | "h" => "MMM",
        "B" => "MMMM",
        "d" => "dd",
        "-d" => "d",
        "j" => "DDD",
        "a" => "EEE",
        "A" => "EEEE",
        "H" => "HH",
        "-H" => "H",
        "I" => "hh",
        "-I" => "h",
        "M" => "mm",
        "-M" => "m",
        "S" => "ss",
        "-S" => "s",
        "p" => "a",
        "3f" => "SSS",
        "6f" => "SSSSSS",
        "9f" => "SSSSSSSSS",
        "z" => "Z",
        ":z" => "xxx",
        "F" => "yyyy-MM-dd",
        "T" => "HH:mm:ss",
        "R" => "HH:mm",
        "D" => "MM/dd/yy",
        _ => return None,
    })
}

fn unsupported(spec: &str) -> BadInput {
    BadInput(format!(
        "--window-format: %{spec} has no Spark equivalent here; use %Y %y %m %b %B %d %j %a %A \
         %H %I %M %S %p %3f %6f %9f %.3f %.6f %.9f %z %:z %F %T %R %D %%, %-d %-m %-H %-I %-M %-S \
         and plain text"
    ))
}

/// Literal text in a Spark (java.time) pattern: quoted when it holds a letter or a reserved
/// character, with `'` doubled.
fn quote_literal(text: &str) -> String {
    if text
        .chars()
        .any(|c| c.is_ascii_alphabetic() || "'[]{}#".contains(c))
    {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(chrono: &str) -> String {
        WindowPattern::from_chrono(chrono)
            .unwrap()
            .spark()
            .to_string()
    }

    #[test]
    fn chrono_patterns_become_spark_patterns() {
        assert_eq!(pattern("%H%M%S"), "HHmmss");
        assert_eq!(
            WindowPattern::default(),
            WindowPattern::from_chrono("%H%M%S").unwrap()
        );
        assert_eq!(pattern("%Y-%m-%d %H:%M:%S"), "yyyy-MM-dd HH:mm:ss");
        assert_eq!(pattern("%F %T%.3f"), "yyyy-MM-dd HH:mm:ss.SSS");
        assert_eq!(pattern("%Hh%M"), "HH'h'mm");
        assert_eq!(pattern("at %-H o'clock"), "'at 'H' o''clock'");
        assert_eq!(pattern("%d %b %Y, %I %p %:z"), "dd MMM yyyy, hh a xxx");
        assert_eq!(pattern("100%% %j"), "100% DDD");
    }

    #[test]
    fn refuses_patterns_spark_cannot_write() {
        for bad in ["%e", "%s", "%Z", "%U", "%.f", "%Q", ""] {
            let err = WindowPattern::from_chrono(bad).unwrap_err().to_string();
            assert!(err.contains("--window-format"), "{bad:?}: {err}");
        }
    }
}
