//! Tests of [`super`]: plain rows split and typed, what is not plain left alone, guessed
//! widths, the tick cache and the seed lane held to the column loop.

use super::*;
use crate::engine::{Schema, Zone};

/// A fast path for rows `batch,<columns>`, every column read, the event time `ts`.
fn plain(schema: &str) -> (Plain, Vec<DataType>) {
    let schema: Schema = schema.parse().unwrap();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name.clone()).collect();
    let event_time = schema.index_of("ts").unwrap();
    let types = schema.types().to_vec();
    let binding = Binding::new(&names, schema, event_time, vec![true; names.len()]);
    (Plain::new(&binding, names.len()).unwrap(), types)
}

/// Reads `line` (no tick condition), giving the row's values after the event time.
fn read(p: &mut Plain, types: &[DataType], line: &[u8]) -> Option<(u64, Vec<String>)> {
    let mut rows = Rows::default();
    let mut cells = CellParser::new(Zone::utc());
    let got = p.read(line, 1 << 20, &mut cells, &mut rows, None, None);
    let Some(got) = got else {
        assert!(
            rows.is_empty(),
            "nothing is left of a row the fast path gave up"
        );
        return None;
    };
    let (_, row) = rows.row(0, types);
    let values = (1..types.len()).map(|c| format!("{:?}", row.value(c)));
    Some((got.tick, values.collect()))
}

const TS: &str = "2026-11-23T17:33:00.000000Z";

#[test]
fn splits_plain_rows_on_commas_at_any_offset() {
    let (mut p, types) = plain("ts TIMESTAMP, a STRING, b STRING");
    let got = read(&mut p, &types, format!("7,{TS},x,yz\nnext").as_bytes());
    assert_eq!(
        got,
        Some((7, vec![r#"Str("x")"#.into(), r#"Str("yz")"#.into()]))
    );
    let got = read(&mut p, &types, format!("8,{TS},,\r\n").as_bytes());
    assert_eq!(
        got,
        Some((8, vec![r#"Str("")"#.into(), r#"Str("")"#.into()]))
    );
    // Every position of the comma and the line break around the eight-byte words.
    for len in 1..40 {
        for comma in 0..len {
            let mut line = format!("0,{TS},").into_bytes();
            let mut rest = vec![b'x'; len];
            rest[comma] = b',';
            line.extend_from_slice(&rest);
            line.push(b'\n');
            let (_, values) = read(&mut p, &types, &line).unwrap();
            let want = [comma, len - comma - 1].map(|n| format!("Str({:?})", "x".repeat(n)));
            assert_eq!(values, want);
        }
    }
}

#[test]
fn leaves_what_is_not_plain() {
    let (mut p, types) = plain("ts TIMESTAMP, a STRING");
    for line in [
        format!("0,{TS},\"a,b\"\n"), // a quote
        format!("0,{TS},a"),         // no line break yet
        "\n".into(),
        "\r\n".into(),
        String::new(),
        format!("0,{TS},a,b\n"),                  // too many fields
        format!("0,{TS}\n"),                      // too few
        "x,2026-11-23T17:33:00Z,a\n".into(),      // not a tick
        "0,2026-11-23T17:33:00+25:00,a\n".into(), // not a time
        "0,\\N,a\n".into(),                       // no event time
    ] {
        assert_eq!(read(&mut p, &types, line.as_bytes()), None, "{line:?}");
    }
    assert!(
        read(&mut p, &types, b"0,2026-11-23T17:33:00Z,\xff\n").is_none(),
        "not UTF-8"
    );
    let mut rows = Rows::default();
    let mut cells = CellParser::new(Zone::utc());
    let line = format!("5,{TS},a\n");
    assert!(
        p.read(line.as_bytes(), 8, &mut cells, &mut rows, None, None)
            .is_none(),
        "long"
    );
    let mut tick = |want, min| {
        p.clone().read(
            line.as_bytes(),
            1 << 20,
            &mut cells,
            &mut Rows::default(),
            want,
            min,
        )
    };
    assert!(tick(Some(4), None).is_none() && tick(None, Some(6)).is_none());
    assert_eq!(tick(Some(5), Some(5)).map(|r| r.consumed), Some(line.len()));
    // Bytes with the high bit set are not taken for commas or line breaks.
    let got = read(&mut p, &types, format!("0,{TS},日本\u{ac}\n").as_bytes());
    assert_eq!(got, Some((0, vec![r#"Str("日本¬")"#.into()])));
}

#[test]
fn a_guessed_field_ends_where_the_last_one_did_or_is_scanned() {
    let (mut p, types) = plain("ts TIMESTAMP, n LONG, s STRING");
    let t = "2026-11-23T17:33:00Z"; // shorter than TS: the guess from TS misses
    let lines = [
        format!("0,{TS},12,a\n"),
        format!("0,{t},13,bb\r\n"),
        format!("10,{TS},5,c\n"),
        format!("10,{t},1234,d\n"),
    ];
    let want = [
        (0, "12", "a"),
        (0, "13", "bb"),
        (10, "5", "c"),
        (10, "1234", "d"),
    ];
    for (line, (tick, n, s)) in lines.iter().zip(want) {
        let values = vec![format!("Long({n})"), format!("Str({s:?})")];
        assert_eq!(read(&mut p, &types, line.as_bytes()), Some((tick, values)));
    }
    // The guess (four bytes) lands on a comma after another: `5,67` fails to parse, and
    // the general path reads the row (and finds a field too many).
    assert_eq!(
        read(&mut p, &types, format!("1,{t},5,67,e\n").as_bytes()),
        None
    );
    // A guessed last field may end in `\r\n` where the last row's ended in `\n`.
    let (mut p, types) = plain("s STRING, ts TIMESTAMP");
    let got = read(&mut p, &types, format!("1,a,{TS}\n").as_bytes());
    assert_eq!(got.map(|g| g.0), Some(1));
    let got = read(&mut p, &types, format!("2,b,{TS}\r\n").as_bytes());
    assert_eq!(got.map(|g| g.0), Some(2));
}

#[test]
fn a_tick_is_its_digits_whatever_the_row_before_held() {
    for schema in ["ts TIMESTAMP, value STRING", "ts TIMESTAMP, n LONG"] {
        let (mut p, types) = plain(schema);
        let ticks = [
            "7",
            "7",
            "12",
            "12",
            "1",
            "123456",
            "1234567",
            "1234567",
            "12345678",
            "1234567",
            "1234568",
            "123456",
            "0",
            "00",
            "0",
            "9999999999",
            "9",
        ];
        for (i, tick) in ticks.iter().enumerate() {
            // Every third row fails after its tick (no event time); the next must not
            // borrow anything from it.
            let time = if i % 3 == 2 { "\\N" } else { TS };
            let line = format!("{tick},{time},5\n");
            let want = (i % 3 != 2).then(|| tick.parse::<u64>().unwrap());
            // First as a row of another tick (refused after its tick is read), then as any.
            let mut cells = CellParser::new(Zone::utc());
            let mut rows = Rows::default();
            let other = p.read(line.as_bytes(), 99, &mut cells, &mut rows, Some(3), None);
            assert!(other.is_none() && rows.is_empty(), "{schema}: {line:?}");
            let got = read(&mut p, &types, line.as_bytes()).map(|(t, _)| t);
            assert_eq!(got, want, "{schema}: {line:?}");
        }
        assert!(read(&mut p, &types, format!("9x,{TS},5\n").as_bytes()).is_none());
        assert!(read(&mut p, &types, format!(",{TS},5\n").as_bytes()).is_none());
    }
}

#[test]
fn the_seed_shape_reads_as_the_field_loop_does() {
    let (lane, types) = plain("ts TIMESTAMP, value STRING");
    assert!(lane.seed_shape);
    let general = Plain {
        seed_shape: false,
        ..lane.clone()
    };
    let t = "2026-11-23T17:33:00Z";
    let lines = [
        format!("0,{TS},3\n"),
        format!("7,{TS},3\n"),
        // A tick read from a row that is not plain is read alike in the next.
        "12,\\N,x\n".to_string(),
        format!("12,{TS},x\n"),
        format!("123456,{TS},x\n"),
        format!("1234567,{TS},x\n"),
        format!("1234567,{TS},y\n"),
        format!("12345678,{TS},x\n"),
        format!("1234567,{TS},z\n"),
        format!("1234568,{TS},z\n"),
        format!("123456,{TS},x\n"),
        format!("1234560,{TS},x\n"),
        format!("0,{TS},3\r\n"),
        format!("12,{t},\n"),
        format!("12,{t},\\N\n"),
        format!("7,{TS},a much longer value than sixteen bytes\n"),
        format!("7,{TS},日本\n"),
        format!("7,{TS},x"),
        format!("7,{TS},\"x\"\n"),
        format!("7,{TS},x,y\n"),
        "7,\\N,x\n".to_string(),
        format!("x,{TS},x\n"),
        format!("7,{TS}\n"),
        "7,2026-11-23T17:33:00+25:00,a\n".into(),
        "\n".into(),
    ];
    let not_utf8 = [b"7,2026-11-23T17:33:00Z,\xff\n".to_vec()];
    let lines = lines.map(String::into_bytes);
    let (mut lane, mut general) = (lane, general);
    for tick in [None, Some(7)] {
        for line in lines.iter().chain(&not_utf8) {
            let mut got = Vec::new();
            for p in [&mut lane, &mut general] {
                let mut rows = Rows::default();
                let mut cells = CellParser::new(Zone::utc());
                let read = p.read(line, 1 << 20, &mut cells, &mut rows, tick, None);
                got.push((read, rows));
            }
            assert_eq!(got[0], got[1], "{:?}", String::from_utf8_lossy(line));
        }
    }
    let mut cells = CellParser::new(Zone::utc());
    let one = format!("5,{TS},a\n");
    let mut rows = Rows::default();
    assert!(
        lane.read(one.as_bytes(), 8, &mut cells, &mut rows, None, None)
            .is_none()
    );
    assert!(
        lane.read(one.as_bytes(), 99, &mut cells, &mut rows, None, Some(6))
            .is_none()
    );
    assert!(read(&mut lane, &types, one.as_bytes()).is_some());
}

#[test]
fn only_a_schema_in_the_files_order_has_a_fast_path() {
    let schema: Schema = "b STRING, ts TIMESTAMP".parse().unwrap();
    let names = ["ts".to_string(), "b".to_string()];
    let binding = Binding::new(&names, schema, 1, vec![true; 2]);
    assert!(Plain::new(&binding, 2).is_none());
}

proptest::proptest! {
    /// The scan for a field's end finds the first comma, quote or line break, whatever bytes
    /// come before it in its word: other bytes below `-` (which the first test also flags),
    /// `-` itself, and bytes of non-ASCII text.
    #[test]
    fn the_scan_stops_at_the_first_comma_quote_or_line_break(
        bytes in proptest::collection::vec(
            proptest::sample::select(vec![
                b',', b'"', b'\n', b'\r', b' ', b'\t', 0, 1, b'+', b'-', b'.', b'0', b'a', 0x7F,
                0x80, 0xC3, 0xFF,
            ]),
            0..40,
        ),
        at in 0usize..40,
    ) {
        let naive = bytes
            .iter()
            .enumerate()
            .skip(at)
            .find(|&(_, b)| matches!(b, b',' | b'"' | b'\n'))
            .map(|(i, &b)| (i, b));
        proptest::prop_assert_eq!(next_stop(&bytes, at, usize::MAX), naive);
    }
}

#[test]
fn the_scan_looks_no_further_than_its_limit() {
    let line = b"0123456789abcdefghij,";
    assert_eq!(next_stop(line, 0, 20), Some((20, b',')));
    assert_eq!(
        next_stop(line, 0, 15),
        None,
        "the stop's word starts past 15"
    );
    assert_eq!(
        next_stop(line, 3, 19),
        Some((20, b',')),
        "its word starts at 19"
    );
    assert_eq!(next_stop(line, 3, 18), None);
}

#[test]
fn a_run_reads_the_rows_one_read_would_and_stops_where_it_must() {
    let (mut p, types) = plain("ts TIMESTAMP, value STRING");
    let text = format!("4,{TS},a\n4,{TS},b\n4,{TS},c\n4,{TS},\"q\"\n4,{TS},d\n5,{TS},e\n");
    let data = text.as_bytes();
    let mut cells = CellParser::new(Zone::utc());
    let mut rows = Rows::default();
    let first = p.read(data, 99, &mut cells, &mut rows, None, None).unwrap();
    let limits = |max_rows| Limits {
        row_len: 99,
        rows: max_rows,
        bytes: usize::MAX,
    };
    let rest = &data[first.consumed..];
    // Two rows more fill three; a quoted value is the general path's, and so is another tick.
    let (read, at) = p.read_run(rest, 4, limits(3), &mut cells, &mut rows);
    assert_eq!((read, rows.len()), (2, 3));
    let (again, more) = p.read_run(&rest[at..], 4, limits(99), &mut cells, &mut rows);
    assert_eq!((again, more), (0, 0), "the quoted row stops it");
    let values: Vec<String> = rows
        .iter(&types)
        .map(|(_, r)| format!("{:?}", r.value(1)))
        .collect();
    assert_eq!(values, ["Str(\"a\")", "Str(\"b\")", "Str(\"c\")"]);
    let after_quote = text
        .find("4,")
        .map(|_| text.match_indices("\n4,").nth(3))
        .unwrap();
    let d = after_quote.unwrap().0 + 1;
    let (read, used) = p.read_run(&data[d..], 4, limits(99), &mut cells, &mut rows);
    assert_eq!(read, 1, "the next tick's row is not the run's");
    assert_eq!(&data[d + used..d + used + 2], b"5,");
    // Without the seed lane, the column loop reads the same runs.
    let general = Plain {
        seed_shape: false,
        ..p.clone()
    };
    let (mut general, mut again) = (general, Rows::default());
    general
        .read(data, 99, &mut cells, &mut again, None, None)
        .unwrap();
    let got = general.read_run(rest, 4, limits(3), &mut cells, &mut again);
    assert_eq!(got, (2, at));
}
