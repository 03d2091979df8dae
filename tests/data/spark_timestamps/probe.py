"""PySpark 3.5.3's answers to timestamp and integer text, for window-tui's parser tests.

    /path/to/pyspark-3.5.3/python probe.py      # writes timestamps.jsonl and integers.jsonl here

Timestamps: every string of `timestamp_strings()` is one quoted field of a CSV file read with
`spark.read.schema("id INT, ts TIMESTAMP, _corrupt_record STRING").csv(...)` (PERMISSIVE,
`columnNameOfCorruptRecord`), once with the session time zone UTC and once with
America/Los_Angeles, and as the string member of a JSON line read with
`spark.read.schema("ts TIMESTAMP, ...").json(...)` (UTC). Each answer is the time in
microseconds since the epoch (`unix_micros`), `null` (a NULL with no failure: the CSV reader's
`nullValue`, the empty string), `"bad"` (NULL because the text failed to parse: the row's
corrupt-record column is set, so FAILFAST would stop there) or `"error"` (the read fails in
every mode: SparkUpgradeException, the new parser refused text the legacy one reads a prefix
of, as `2026-11-23 24:00:00`). A line of timestamps.jsonl is
`[text, csv_utc, csv_los_angeles, json_utc]`.

Integers: each string is one field of a CSV file read as TINYINT, SMALLINT, INT, BIGINT, DOUBLE
and FLOAT; a line of integers.jsonl is `[text, tinyint, smallint, int, bigint, double, float]`,
each a number, `null` or `"bad"` (doubles as Java prints them, `repr` of the float).

Strings holding a quote, a backslash (Spark CSV's escape) or a line break are left out, as are
time-only strings (`17:33:00`, `T17:33`), which Spark reads as that time today.
"""

import csv
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def timestamp_strings():
    out = []
    add = out.append
    # Dates alone and their near misses.
    for d in ["2026", "2026-11", "2026-11-23", "2026-1-2", "2026-01-2", "2026-1-02", "26-11-23",
              "202-11-23", "02026-11-23", "12345-01-01", "123456-01-01", "1234567-01-01",
              "+2026-11-23", "-2026-11-23", "+2026", "-0001-01-01", "0000-01-01", "0000-02-29",
              "2026-", "2026-11-", "2026--23", "2026/11/23", "2026.11.23", "2026-13-01",
              "2026-00-01", "2026-11-00", "2026-02-29", "2024-02-29", "1900-02-29", "2000-02-29",
              "2026-04-31", "2026-011-23", "2026-11-023", "2026-11-23T", "2026-11-23 ",
              " 2026-11-23", "2026-11-23 T", "2026-11-23TT", "2026-11-23Z", "2026-11-23 Z",
              "2026-11-23+01:00", "2026-11-23-01:00", "0", "1", "12", "123", "1795455180000",
              "-1795455180000", "+-2026", "++2026", "--2026", "2026-11-23-", "2026-11-23-5",
              "2026-11-23t", "2026-11-23x", "2026-11-23 17", "٢٠٢٦-١١-٢٣", "２０２６-11-23"]:
        add(d)
    base = "2026-11-23"
    # Times.
    for t in ["17", "17:33", "17:33:14", "7:3:4", "07:03:04", "17:33:0", "0:0:0", "00:00:00",
              "23:59:59", "24:00:00", "24:00", "24", "23:60:00", "23:59:60", "23:59:61",
              "17:33:", "17:", "017:33:00", "17:033:00", "17:33:014", "17:33:14:", "17:33:14:5",
              "17:33:14 5", "17-33-14", "17.33.14", "17:33:14.", "17:33:14..5", "17:33:14.5.5",
              "17:33:14,5", "17:33.5", "17.5", "17:33:14.5 ", "17:33:14 ", "17:33 Z", "17 Z",
              "17Z", "17:33Z", "17:33+01:00", "17:33:14Z", "17:33:14.Z", "17:33:14. Z"]:
        for sep in ["T", " ", "t", "  ", "\t"]:
            add(base + sep + t)
    # Fractions of 0 to 20 digits.
    for n in range(0, 21):
        frac = "123456789012345678901"[:n]
        add(f"{base}T17:33:14.{frac}")
        add(f"{base}T17:33:14.{frac}Z")
        add(f"{base}T17:33:14.{'9' * n}Z")
    # Zones.
    zones = ["Z", "z", " Z", "  Z", "Z ", "\tZ", "ZZ", "Z Z", "+0", "+5", "-5", "+05", "-05",
             "+0530", "-0530", "+05:30", "-05:30", "+5:30", "+05:3", "+5:3", "+05:30:15",
             "+053015", "+05:30:5", "+5:30:15", "+18", "+18:00", "-18:00", "+18:01", "-18:00:01",
             "+19", "+24:00", "+05:60", "+05:30:60", "+123", "+12345", "+1234567", "+", "-",
             "+05:", "+05:30:", "+05 30", " +05:30", "+ 05:30", "+05:30Z", "++05", "+-05",
             "UTC", "GMT", "UT", "UTC+8", "UTC-8", "GMT+8", "GMT-8", "UT+8", "UT-8", "GMT+08",
             "GMT+08:00", "GMT+0800", "GMT+8:00", "GMT+08:0", "GMT+123", "GMT+08:00:30",
             "GMT+080030", "GMT+18", "GMT+19", "UTC+05:30", "UTC+0530", "UT+05:30:15", "UTC0",
             "GMT0", "GMT+0", "GMT-0", "UTC+", "GMT+", "UTC+Z", "GMTZ", "GMT Z", "GMTGMT",
             "GMTUTC", "GMT+01:00GMT", "utc", "gmt", "Utc", "ut", "America/Los_Angeles",
             "america/los_angeles", "AMERICA/LOS_ANGELES", "Europe/Paris", "Asia/Kolkata",
             "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "Etc/GMT+8", "Etc/GMT-14",
             "Etc/UTC", "Etc/Unknown", "US/Pacific", "US/Pacific-New", "PST", "EST", "MST", "HST",
             "CST", "IST", "JST", "CTT", "ECT", "SST", "CET", "EET", "MET", "WET", "EST5EDT",
             "PST8PDT", "SystemV/PST8", "SystemV/EST5EDT", "Zulu", "UCT", "Universal",
             "Greenwich", "ROC", "Factory", "Asia/Calcutta", "Europe/Kiev", "Europe/Kyiv",
             "Antarctica/Troll", "Africa/Casablanca", "ABC", "A", "X", "Europe/Paris ",
             " America/New_York", "America/New York", "[UTC]", "(UTC)", "Europe/Paris/",
             "Europe//Paris", "~", "-05:00[America/Chicago]", "+05:30 IST", "UTC UTC"]
    for z in zones:
        add(f"{base}T17:33:14{z}")
        add(f"{base} 17:33:14.5{z}")
        add(f"{base}T17:33:14.123456789{z}")
    for z in ["Z", "+05:30", "America/Los_Angeles", "UTC", " Z", "GMT+8", "+0530"]:
        add(f"{base}T17:33{z}")
        add(f"{base}T17{z}")
        add(f"{base}{z}")
        add(f"{base}T17:33:14.{z}")
    # Whitespace and control characters around and inside.
    for ws in [" ", "  ", "\t", "\x01", "\x0b", "\x0c", "\x1f", "\x7f", "\u00a0", "\u3000",
               "\u2003", " \t "]:
        add(f"{ws}{base}T17:33:14Z")
        add(f"{base}T17:33:14Z{ws}")
        add(f"{ws}{base}T17:33:14{ws}")
        add(f"{base}T17:33:14{ws}Z")
        add(f"{base}T17:33:14.5{ws}+05:30")
        add(f"{base}{ws}17:33:14Z")
        add(f"{ws}+{base}T17:33:14Z")
        add(f"+{ws}{base}T17:33:14Z")
    # Signed and extreme years.
    for y in ["+2026", "-2026", "0000", "-0000", "0001", "-0001", "9999", "10000", "+10000",
              "99999", "999999", "-999999", "+999999", "294247", "+294247", "294248", "-290308",
              "-290309", "1582", "1000", "0999", "999"]:
        add(f"{y}-01-01T00:00:00Z")
        add(f"{y}-12-31 23:59:59.999999")
    for t in ["+294247-01-10T04:00:54.775807Z", "+294247-01-10T04:00:54.775808Z",
              "-290308-12-21T19:59:05.224192Z", "-290308-12-21T19:59:05.224193Z",
              "-290308-12-21T19:59:05.224191Z", "9999-12-31T23:59:59.999999Z",
              "9999-12-31T23:59:59.999999-18:00", "0001-01-01T00:00:00+18:00",
              "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z", "1970-01-01"]:
        add(t)
    # Leap days and calendar edges, with and without a zone.
    for d in ["2024-02-29", "2023-02-29", "2100-02-29", "2400-02-29", "2026-01-31", "2026-02-30",
              "2026-06-31", "2026-12-31", "2026-12-32", "1582-10-10", "0004-02-29", "-0004-02-29",
              "-0001-02-29", "0000-02-29"]:
        add(f"{d}T12:00:00Z")
        add(f"{d} 12:00")
    # Case, RFC 3339's lowercase forms.
    for t in ["2026-11-23t17:33:14z", "2026-11-23T17:33:14z", "2026-11-23t17:33:14Z",
              "2026-11-23t17:33:14", "2026-11-23t17:33", "2026-11-23 17:33:14z",
              "2026-11-23t17:33:14.5+05:30", "2026-11-23T17:33:14.5z", "2026-11-23T17:33:14 z",
              "2026-11-23T17:33:14.z"]:
        add(t)
    # The legacy clean-up: "GMT" taken out anywhere before a second try.
    for t in ["GMT2026-11-23T17:33:14", "2026GMT-11-23T17:33:14", "2026-11-23GMTT17:33:14",
              "2026-11-23TGMT17:33:14", "2026-11-23T17GMT:33:14", "2026-11-23T17:33:14GMT",
              "2026-11-23T17:33:14 GMT", "2026-11-23T17:33:14GMTZ", "2026-11-23T17:33:14GMT Z",
              "2026-11-23T17:33:14GMT+01:00", "2026-11-23T17:33:14GMTGMT+01:00",
              "2026-11-23T17:33:14.5GMT", "2026-11-23T17:33:14GMT+5", "2026-11-23T17:33:14GMT+123",
              "2026-11-23T17:33:14GMTPST", "2026-11-23T17:33:14GGMTMT", "2026-11-23T17:33:14Gmt",
              "2026-11-23 GMT", "GMT", "2026-11-23T17:33:14UTC+01:00GMT"]:
        add(t)
    # Daylight saving in Los Angeles: a gap and an overlap, zone-less and zoned.
    for t in ["2026-03-08 01:59:59", "2026-03-08 02:00:00", "2026-03-08 02:30:00",
              "2026-03-08 03:00:00", "2026-11-01 00:59:59", "2026-11-01 01:00:00",
              "2026-11-01 01:30:00", "2026-11-01 02:00:00", "2026-03-08 02:30America/Los_Angeles",
              "2026-11-01 01:30:00 America/Los_Angeles", "2026-10-25 02:30:00 Europe/Paris",
              "2026-03-29 02:30:00 Europe/Paris", "2026-03-08", "2026-11-01", "1883-11-18 12:00",
              "1800-01-01 00:00:00", "1800-01-01 00:00:00 America/Los_Angeles"]:
        add(t)
    # Unicode digits, empty and blank.
    for t in ["٢٠٢٦-١١-٢٣T17:33:14Z", "2026-11-23T١٧:33:14Z", "2026-11-23T17:33:14.٥Z",
              "2026-11-23T17:33:14+٠٥:٣٠", "2026-11-23T17:33:14+05:30\u200b", "", " ", "\t",
              "null", "NULL", "NaN", "now", "today", "epoch", "T", "Z", "-", "+", "2026-11-23T17:33:14",
              "2026-11-23 17:33:14.999999999", "2026-11-23T17:33:14.000000001Z"]:
        add(t)
    # Random combinations of the parts.
    rng = random.Random(35)
    years = ["2026", "1970", "1969", "0001", "9999", "+2026", "-0044", "10000", "0000", "2024"]
    months = ["1", "01", "11", "12", "13", "00", "02", "2"]
    days = ["1", "01", "23", "28", "29", "30", "31", "32", "00", "9"]
    seps = ["T", " ", "t"]
    hours = ["0", "00", "7", "17", "23", "24"]
    mins = ["0", "00", "5", "33", "59", "60"]
    secs = [None, "0", "00", "9", "14", "59", "60"]
    fracs = [None, "", "5", "123", "123456", "1234567", "999999999"]
    zs = [None, "Z", "z", " Z", "+01:00", "-08:00", "+0530", "+5", "-18:00", "+18:30", "UTC",
          "GMT+8", "America/Los_Angeles", " Europe/Paris", "PST", "UTC-3", "Asia/Kolkata"]
    seen = set(out)
    while len(out) < 2000:
        date = f"{rng.choice(years)}-{rng.choice(months)}-{rng.choice(days)}"
        shape = rng.random()
        if shape < 0.05:
            text = date
        else:
            text = f"{date}{rng.choice(seps)}{rng.choice(hours)}"
            if shape > 0.1:
                text += ":" + rng.choice(mins)
                sec = rng.choice(secs)
                if sec is not None:
                    text += ":" + sec
                    frac = rng.choice(fracs)
                    if frac is not None:
                        text += "." + frac
                zone = rng.choice(zs)
                if zone is not None:
                    text += zone
        if text not in seen:
            seen.add(text)
            out.append(text)
    unique = list(dict.fromkeys(out))
    for t in unique:
        assert '"' not in t and "\\" not in t and "\n" not in t and "\r" not in t, t
    return unique


def integer_strings():
    digits = {
        "arabic-indic": "٠١٢٣٤٥٦٧٨٩", "extended": "۰۱۲۳۴۵۶۷۸۹", "devanagari": "०१२३४५६७८९",
        "fullwidth": "０１２３４５６７８９", "thai": "๐๑๒๓๔๕๖๗๘๙", "mathematical": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
        "adlam": "𞥐𞥑𞥒𞥓𞥔𞥕𞥖𞥗𞥘𞥙", "nko": "߀߁߂߃߄߅߆߇߈߉", "mongolian": "᠐᠑᠒᠓᠔᠕᠖᠗᠘᠙",
        "segmented": "🯰🯱🯲🯳🯴🯵🯶🯷🯸🯹", "kawi": "𑽐𑽑𑽒𑽓𑽔𑽕𑽖𑽗𑽘𑽙",
        "nag-mundari": "𞓰𞓱𞓲𞓳𞓴𞓵𞓶𞓷𞓸𞓹",
    }
    out = ["0", "3", "-3", "+3", "42", " 42", "42 ", "4 2", "", "-", "+", "+-3", "--3", "3.0",
           "1e3", "0x10", "127", "128", "-128", "-129", "255", "32767", "32768", "-32769",
           "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
           "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
           "00000000000000000000042", "¹", "²", "½", "Ⅳ", "①", "\u00a03", "3\u200b", "٣٫٥", "٣.٥",
           "1٬000", "3d", "3L", "NaN", "Infinity"]
    for name, ds in digits.items():
        out += [ds[3], "-" + ds[3], "+" + ds[7], ds[1] + ds[2] + ds[7], "1" + ds[2] + "7",
                ds[1] + ds[2] + ds[8], ds[3] + "." + ds[5], ds[9] * 19, ds[2] + ds[1] + ds[4] +
                ds[7] + ds[4] + ds[8] + ds[3] + ds[6] + ds[4] + ds[8]]
    return list(dict.fromkeys(out))


def spark_session():
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[1]").appName("probe")
             .config("spark.sql.shuffle.partitions", "1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def write_csv(path, texts, columns=1):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for i, t in enumerate(texts):
            w.writerow([str(i)] + [t] * columns)


def answers(rows, column, texts):
    got = {}
    for r in rows:
        value = r[column]
        if value is None:
            value = "bad" if r["_corrupt_record"] is not None else None
        got[r["id"]] = value
    return [got[i] for i in range(len(texts))]


def read_times(spark, texts, zone, fmt):
    """Each text's answer read as `fmt` (csv or json) in `zone`. A text that fails the whole read
    (SparkUpgradeException: the new parser refused it and the legacy one, which reads a prefix,
    took it: every mode stops there) is `"error"`; the read is run again without it."""
    from pyspark.sql import functions as F
    spark.conf.set("spark.sql.session.timeZone", zone)
    tmp = "/tmp/spark_timestamps_probe"
    os.makedirs(tmp, exist_ok=True)
    left = dict(enumerate(texts))
    result = {}
    while True:
        path = os.path.join(tmp, f"ts.{fmt}")
        ids = sorted(left)
        if fmt == "csv":
            with open(path, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
                for i in ids:
                    w.writerow([str(i), left[i]])
        else:
            with open(path, "w", encoding="utf-8") as f:
                for i in ids:
                    f.write(json.dumps({"id": i, "ts": left[i]}) + "\n")
        reader = (spark.read.schema("id INT, ts TIMESTAMP, _corrupt_record STRING")
                  .option("columnNameOfCorruptRecord", "_corrupt_record"))
        df = reader.csv(path) if fmt == "csv" else reader.json(path)
        try:
            rows = df.select("id", F.unix_micros("ts").alias("ts"), "_corrupt_record").collect()
        except Exception as e:  # pylint: disable=broad-except
            m = re.search(r"Fail to parse '(.*?)' in the new parser", str(e), re.S)
            hit = [i for i in ids if m and left[i] == m.group(1)]
            if not hit:
                raise
            for i in hit:
                result[i] = "error"
                del left[i]
            continue
        for r in rows:
            result[r["id"]] = r["ts"] if r["ts"] is not None else (
                "bad" if r["_corrupt_record"] is not None else None)
        return [result[i] for i in range(len(texts))]


def main():
    from pyspark.sql import functions as F
    spark = spark_session()
    texts = timestamp_strings()
    results = [read_times(spark, texts, "UTC", "csv"),
               read_times(spark, texts, "America/Los_Angeles", "csv"),
               read_times(spark, texts, "UTC", "json")]
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    with open(os.path.join(HERE, "timestamps.jsonl"), "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps([t] + [r[i] for r in results]) + "\n")

    tmp = "/tmp/spark_timestamps_probe"
    ints = integer_strings()
    ipath = os.path.join(tmp, "ints.csv")
    write_csv(ipath, ints, columns=6)
    df = (spark.read.schema("id INT, b TINYINT, s SMALLINT, i INT, l BIGINT, d DOUBLE, f FLOAT, "
                            "_corrupt_record STRING")
          .option("columnNameOfCorruptRecord", "_corrupt_record").csv(ipath))
    rows = df.collect()
    cols = [answers(rows, c, ints) for c in ["b", "s", "i", "l", "d", "f"]]
    with open(os.path.join(HERE, "integers.jsonl"), "w", encoding="utf-8") as f:
        for i, t in enumerate(ints):
            f.write(json.dumps([t] + [c[i] if not isinstance(c[i], float) else repr(c[i])
                                      for c in cols], ensure_ascii=False) + "\n")
    # Time-only text: read as that time today (not recorded: the answer changes every day).
    today = spark.createDataFrame([("17:33:00",), ("T17:33",)], "t STRING")
    print(today.select("t", F.col("t").cast("timestamp")).collect(), file=sys.stderr)
    print(f"{len(texts)} timestamps, {len(ints)} integers", file=sys.stderr)


if __name__ == "__main__":
    main()
