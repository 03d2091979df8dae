//! Which fields of a record were quoted: an unquoted `\N` is NULL, a quoted `"\N"` the text
//! `\N` (how a recording keeps a live value that happened to be that text).

/// Sets `quoted` to whether each field of the raw record `raw` (its line break included) opens
/// with a quote, read as `csv-core` reads RFC 4180: a quote inside a field that did not open
/// with one is a plain byte, and a doubled quote inside a quoted field is one quote. Returns
/// whether the record ends inside a quoted field (one never closed).
pub(super) fn quoted_fields(raw: &[u8], quoted: &mut Vec<bool>) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        FieldStart,
        Plain,
        Quoted,
        /// A quote in a quoted field: its end, or the first of a doubled quote.
        QuoteInQuoted,
    }
    quoted.clear();
    let mut at = At::FieldStart;
    for &b in raw {
        at = match (at, b) {
            (At::FieldStart, b'"') => {
                quoted.push(true);
                At::Quoted
            }
            (At::FieldStart, b',') => {
                quoted.push(false);
                At::FieldStart
            }
            (At::FieldStart, _) => {
                quoted.push(false);
                At::Plain
            }
            (At::Plain | At::QuoteInQuoted, b',') => At::FieldStart,
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::QuoteInQuoted, b'"') | (At::Quoted, _) => At::Quoted,
            (At::Plain | At::QuoteInQuoted, _) => At::Plain,
        };
    }
    if at == At::FieldStart {
        quoted.push(false);
    }
    at == At::Quoted
}

#[cfg(test)]
mod tests {
    use super::quoted_fields;

    fn quoted(raw: &str) -> Vec<bool> {
        let mut out = vec![true; 9];
        quoted_fields(raw.as_bytes(), &mut out);
        out
    }

    #[test]
    fn a_quoted_field_never_closed_is_told_from_a_quote_inside_a_plain_one() {
        let open = |raw: &str| quoted_fields(raw.as_bytes(), &mut Vec::new());
        for closed in [
            "0,q\"x,2\n",
            "0,\"a\"\"b\",5\" pipe\n",
            "0,\"\",x\n",
            "0,a\"\"\"\n",
        ] {
            assert!(!open(closed), "{closed}");
        }
        for never in ["0,\"a\n", "0,\"a\"\"\n", "0,x,\"q\"\"y,2\n"] {
            assert!(open(never), "{never}");
        }
    }

    #[test]
    fn each_field_that_opens_with_a_quote() {
        assert_eq!(quoted("0,t,\"\\N\"\n"), [false, false, true]);
        assert_eq!(quoted("0,\"a,b\",\\N\r\n"), [false, true, false]);
        assert_eq!(quoted("\"x\"\"y\",q\"t,\"\"\n"), [true, false, true]);
        assert_eq!(quoted("\"two\nlines\",\\N"), [true, false]);
        assert_eq!(quoted("0,\"a\"b,\"c\""), [false, true, true]);
        assert_eq!(quoted("0,,\n"), [false, false, false]);
        assert_eq!(quoted("0,"), [false, false]);
    }
}
