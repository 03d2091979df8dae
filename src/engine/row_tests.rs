//! Tests of [`super`]: rows written and read back, NULLs, long and wide rows, raw rows checked.

use super::*;

const TYPES: [DataType; 5] = [
    DataType::Timestamp,
    DataType::String,
    DataType::Long,
    DataType::Double,
    DataType::Boolean,
];

#[test]
fn rows_keep_every_value_and_null() {
    let mut rows = Rows::default();
    rows.push(
        7,
        &[
            Value::Timestamp(-5),
            Value::Str("日本"),
            Value::Null,
            Value::Double(-0.0),
            Value::Bool(true),
        ],
    );
    let mut short = rows.writer(TYPES.len());
    for value in [Value::Null, Value::Str(""), Value::Long(i64::MIN)] {
        short.value(value);
    }
    short.finish(8); // the last two columns are NULL
    let got: Vec<(Micros, Vec<Value>)> = rows
        .iter(&TYPES)
        .map(|(t, row)| (t, (0..5).map(|c| row.value(c)).collect()))
        .collect();
    assert_eq!(got[0].0, 7);
    assert_eq!(
        got[0].1[..3],
        [Value::Timestamp(-5), Value::Str("日本"), Value::Null]
    );
    assert!(matches!(got[0].1[3], Value::Double(z) if z == 0.0 && z.is_sign_negative()));
    assert_eq!(got[0].1[4], Value::Bool(true));
    assert_eq!(
        got[1].1,
        [
            Value::Null,
            Value::Str(""),
            Value::Long(i64::MIN),
            Value::Null,
            Value::Null
        ]
    );
}

#[test]
fn long_and_wide_rows_keep_every_value() {
    let long = "x".repeat(600);
    let wide: Vec<Value> = (0..200).map(Value::Long).collect();
    let mut rows = Rows::default();
    rows.push(1, &[Value::Str("a"), Value::Str(&long), Value::Long(7)]);
    rows.push(2, &wide);
    {
        let mut unfinished = rows.writer(3);
        unfinished.value(Value::Str(&long));
    }
    let types = [DataType::String, DataType::String, DataType::Long];
    let (t, row) = rows.row(0, &types);
    assert_eq!(
        (t, row.value(1), row.value(2)),
        (1, Value::Str(&long), Value::Long(7))
    );
    let types = vec![DataType::Long; 200];
    let (t, row) = rows.row(1, &types);
    assert_eq!((t, row.value(199)), (2, Value::Long(199)));
    assert_eq!(rows.len(), 2, "the unfinished row left nothing");
}

#[test]
fn an_unfinished_row_leaves_nothing_and_raw_rows_are_checked() {
    let mut rows = Rows::default();
    {
        let mut row = rows.writer(2);
        row.value(Value::Str("half"));
    }
    assert_eq!((rows.len(), rows.bytes()), (0, 0));
    rows.push(1, &[Value::Str("a"), Value::Long(3)]);
    let mut copy = Rows::default();
    let (t, bytes) = rows.raw().next().unwrap();
    let types = [DataType::String, DataType::Long];
    copy.push_raw(t, bytes, &types).unwrap();
    assert_eq!(copy, rows);
    assert_eq!(
        copy.push_raw(1, &bytes[..bytes.len() - 1], &types),
        Err(BadRow)
    );
    assert_eq!(copy.push_raw(1, bytes, &[DataType::String]), Err(BadRow));
    let mut more = Rows::default();
    more.push(2, &[Value::Null, Value::Long(4)]);
    copy.append(&mut more);
    assert!(more.is_empty());
    let longs: Vec<Value> = copy.iter(&types).map(|(_, r)| r.value(1)).collect();
    assert_eq!(longs, [Value::Long(3), Value::Long(4)]);
}

#[test]
fn a_string_copied_in_blocks_is_the_writers_however_near_the_buffers_end() {
    let text = "ab,\u{e9}t\u{e9},0123456789abcdefXYZ,z";
    let data = text.as_bytes();
    let mut cells = vec![(0, 2), (3, 8), (9, 28), (29, 30), (30, 30)];
    let ends = (0..=data.len()).filter(|&end| text.is_char_boundary(end));
    cells.extend(ends.map(|end| (0, end)));
    for (start, end) in cells {
        let (mut written, mut pushed) = (Rows::default(), Rows::default());
        for rows in [&mut written, &mut pushed] {
            rows.push(1, &[Value::Long(1), Value::Str("before")]);
        }
        let mut row = written.writer(2);
        row.long(-5);
        row.string(&data[start..end]).unwrap();
        row.finish(7);
        pushed
            .push_time_and_string(7, -5, data, (start, end))
            .unwrap();
        assert_eq!(written, pushed, "{start}..{end}");
        let mut in_buffer = Rows::default();
        in_buffer.push(1, &[Value::Long(1), Value::Str("before")]);
        let mut row = in_buffer.writer(2);
        row.long(-5);
        row.string_in(data, (start, end)).unwrap();
        row.finish(7);
        assert_eq!(written, in_buffer, "{start}..{end}");
    }
    let mut rows = Rows::default();
    let bad = b"a\xffb,cdefghijklmnopq";
    assert!(rows.push_time_and_string(0, 0, bad, (0, 3)).is_err());
    assert!(
        rows.push_time_and_string(0, 0, bad, (0, bad.len()))
            .is_err()
    );
    let mut row = rows.writer(1);
    assert!(row.string_in(bad, (0, 3)).is_err());
    drop(row);
    assert!(rows.is_empty(), "a string that is not UTF-8 leaves nothing");
}

#[test]
fn a_short_string_is_one_block_when_ascii_and_checked_to_its_last_byte() {
    let data = b"0123456789abcdef\xc3\xa9 and more";
    for len in 0..=16 {
        assert_eq!(
            short_ascii(data, (0, len)),
            data.first_chunk::<16>().copied()
        );
    }
    assert_eq!(short_ascii(data, (0, 17)), None, "longer than the block");
    assert_eq!(short_ascii(data, (10, 17)), None, "non-ASCII at its end");
    assert_eq!(short_ascii(data, (20, 22)), None, "no sixteen bytes left");
    for len in 1..=16 {
        // Its last byte is not ASCII (nor UTF-8): it is not a block, and no row takes it.
        let mut bad = vec![b'a'; len - 1];
        bad.extend_from_slice(b"\xff and the rest of the buffer");
        assert_eq!(short_ascii(&bad, (0, len)), None, "{len}");
        let mut rows = Rows::default();
        assert!(rows.push_time_and_string(0, 0, &bad, (0, len)).is_err());
        let mut row = rows.writer(1);
        assert!(row.string_in(&bad, (0, len)).is_err());
    }
}

#[test]
fn a_staged_row_is_the_writers_row_and_one_that_does_not_fit_is_refused() {
    let text = "ab,\u{e9}t\u{e9},0123456789abcdefXYZ,z";
    let data = text.as_bytes();
    let strings = [(0, 2), (3, 8), (9, 28), (29, 30), (30, 30), (0, data.len())];
    let mut stage = StagedRow::new(TYPES.len()).unwrap();
    let (mut written, mut staged) = (Rows::default(), Rows::default());
    for (i, &(start, end)) in strings.iter().enumerate() {
        let string = std::str::from_utf8(&data[start..end]).unwrap();
        let values = [
            Value::Timestamp(-5),
            Value::Str(string),
            if i % 2 == 0 {
                Value::Null
            } else {
                Value::Long(i64::MIN)
            },
            Value::Double(2.5),
            Value::Bool(i % 3 == 0),
        ];
        written.push(7, &values);
        stage.start();
        stage.value(Value::Timestamp(-5)).unwrap();
        stage.string_in(data, (start, end)).unwrap();
        for value in &values[2..] {
            stage.value(*value).unwrap();
        }
        staged.push_staged(7, &stage).unwrap();
        assert_eq!(written, staged, "{string:?}");
    }
    // A row of the wrong width, or past the stage, adds nothing.
    let before = staged.clone();
    stage.start();
    stage.value(Value::Long(1)).unwrap();
    assert_eq!(staged.push_staged(0, &stage), None, "too few columns");
    for _ in 0..TYPES.len() {
        stage.null().unwrap();
    }
    assert_eq!(staged.push_staged(0, &stage), None, "too many columns");
    let long = "x".repeat(300);
    stage.start();
    assert_eq!(stage.string_in(long.as_bytes(), (0, long.len())), None);
    assert_eq!(stage.value(Value::Str(&long)), None);
    stage.start();
    assert_eq!(stage.string_in(b"a\xffb", (0, 3)), None, "not UTF-8");
    assert_eq!(staged, before);
    assert!(StagedRow::new(64).is_none(), "a header of half the stage");
}

#[test]
fn an_integral_column_is_read_as_every_value_is() {
    let types = [
        DataType::Long,
        DataType::String,
        DataType::Int,
        DataType::Timestamp,
        DataType::Short,
        DataType::Double,
    ];
    let mut rows = Rows::default();
    rows.push(
        0,
        &[
            Value::Long(i64::MIN),
            Value::Str("0123456789"),
            Value::Long(-7),
            Value::Timestamp(5),
            Value::Null,
            Value::Double(1.5),
        ],
    );
    rows.push(1, &[Value::Null, Value::Null, Value::Long(3)]);
    for (_, row) in rows.iter(&types) {
        for column in 0..=types.len() {
            let want = match row.value(column) {
                Value::Long(v) => Some(v),
                _ => None,
            };
            assert_eq!(row.long(column), want, "column {column}");
        }
    }
    let (_, first) = rows.row(0, &types);
    assert_eq!((first.long(0), first.long(2)), (Some(i64::MIN), Some(-7)));
}
