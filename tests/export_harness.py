#!/usr/bin/env python3
"""Runs PySpark jobs written by `window-tui export-spark --replay-dir DIR` on corpus cases, the
way the corpus was made, and reports what Spark produced.

Usage: export_harness.py RESULT.json [--lines BIN DIR] NAME JOB.py EVENTS.csv SINK [...]

With --lines, the harness first checks that exported jobs read socket lines as window-tui does:
for each of LINE_CASES (CSV and JSON lines, good and bad) it exports a job with the window-tui
binary BIN (in DIR), records what window-tui accepts from those lines (a headless run over its
embedded server, `--record`), runs the job's parse_lines() on the same lines in Spark, and
reports under RESULT.json's "lines" the rows only one of them accepted.

For each case the job is imported (not edited) and driven through its own functions:
start_spark(master, time_zone) and start_query(spark, SINK), SINK being `file` or `console`.
The case's events.csv (`batch,<columns>`) is staged in the job's REPLAY_DIR, one file per tick
holding that tick's rows as they are under the same header, each written aside and renamed into
place with increasing modification times, so that the job's maxFilesPerTrigger=1 makes each file
one micro-batch. Consecutive ticks with rows are staged together: pending files always make data
batches, one after the other. A tick without rows (a gap, and the one after the last tick) is an
idle trigger: StreamingQuery.processAllAvailable() returns only after a trigger found nothing to
do, so by then Spark has run its no-data batch if the watermark had moved, exactly as at an idle
tick.

Before each case the harness prints `export_harness: case NAME` on stdout, where the console
sink's `Batch: N` tables of that case follow. The only setting the harness adds is a file sink
log that is never compacted (spark.sql.streaming.fileSink.log.compactInterval), so that
`_spark_metadata/N` names the files of batch N. RESULT.json maps each NAME to
  rows:     (file sink) [batch id, partition folder, cell, cell, ...] for every row of every
            part file, the cells as the CSV holds them (NULL is an empty cell);
  progress: the StreamingQueryProgress of every batch (batchId, numInputRows, eventTime,
            stateOperators, ...).
"""

import collections
import csv
import datetime
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

TIMEOUT_S = 120
MARKER = "export_harness: case "


def load_job(name, path):
    spec = importlib.util.spec_from_file_location(f"exported_job_{name}", path)
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    return job


def read_ticks(events):
    """The header and {tick: [row, ...]} of a replay file (each row with its batch cell)."""
    ticks = {}
    with open(events, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        for row in rows:
            ticks.setdefault(int(row[0]), []).append(row)
    return header, ticks


def stage(folder, header, tick, rows, mtime):
    """One tick's rows under `header`, written aside, then renamed into `folder`."""
    name = f"tick-{tick:06d}.csv"
    aside = os.path.join(folder, "." + name)
    with open(aside, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    os.utime(aside, (mtime, mtime))
    os.rename(aside, os.path.join(folder, name))


def log_offset(progress):
    """The file source's end offset (the index of the last file read) in a progress report."""
    offset = progress["sources"][0]["endOffset"]
    if isinstance(offset, str):
        offset = json.loads(offset)
    return int(offset["logOffset"]) if offset else -1


def settle(query, files):
    """Waits until Spark has read all `files` staged files and then found nothing to do."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        query.processAllAvailable()
        last = query.lastProgress
        if last is not None and log_offset(last) >= files - 1:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Spark did not read {files} staged files in {TIMEOUT_S} s")


def sink_rows(output):
    """[batch, partition folder, cells...] of every file the sink log lists."""
    rows = []
    log = os.path.join(output, "_spark_metadata")
    for entry in sorted(os.listdir(log)):
        if entry.startswith("."):  # Hadoop's checksum files
            continue
        if not entry.isdigit():
            raise AssertionError(f"_spark_metadata/{entry}: the log was compacted")
        with open(os.path.join(log, entry), encoding="utf-8") as f:
            lines = f.read().splitlines()
        assert lines[0] == "v1", f"_spark_metadata/{entry} starts with {lines[0]!r}"
        for line in lines[1:]:
            path = urllib.parse.unquote(urllib.parse.urlparse(json.loads(line)["path"]).path)
            partition = os.path.basename(os.path.dirname(path))
            with open(path, newline="", encoding="utf-8") as f:
                for cells in csv.reader(f):
                    rows.append([int(entry), partition, *cells])
    return rows


def run_case(spark, name, job_path, events, sink):
    job = load_job(name, job_path)
    os.makedirs(job.REPLAY_DIR, exist_ok=True)
    print(MARKER + name, flush=True)
    query = job.start_query(spark, sink)
    try:
        header, ticks = read_ticks(events)
        mtime = int(time.time()) - 86400
        staged, tick, last = 0, 0, max(ticks, default=-1)
        while tick <= last:
            if tick not in ticks:
                tick += 1
                continue
            while tick in ticks:
                stage(job.REPLAY_DIR, header, tick, ticks[tick], mtime + staged)
                staged += 1
                tick += 1
            settle(query, staged)
        progress = [p for p in query.recentProgress if "addBatch" in p.get("durationMs", {})]
    finally:
        query.stop()
    sys.stdout.flush()
    rows = sink_rows(job.APP_DATA_OUTPUT_DIR) if sink == "file" else []
    return {"rows": rows, "progress": progress}


#: Lines for --lines, per format: the schema and lines window-tui reads (or rejects) in its own
#: ways, next to plain ones.
LINE_CASES = {
    "csv": ("ts TIMESTAMP, k STRING, n INT, x DOUBLE, b BOOLEAN", [
        "2026-11-23T17:33:00Z,a,1,2.5,true",
        "2026-11-23T17:33:00.123456789Z,b,,,",
        "2026-11-23 17:33:01,c,3,1e3,FALSE",
        "2026-11-23t17:33:02z,d,+7,NaN,True",
        "1795455180000,e,-2,Infinity,false",
        '2026-11-23T17:33:03+05:30,"f,g",4,-0.0,true',
        '2026-11-23T17:33:04Z,"q""t",5,.5,true',
        ",no time,1,1,true",
        "2026-11-23T17:33:05Z,x,3.0,1,true",
        "2026-11-23T17:33:05Z,x,99999999999,1,true",
        "2026-11-23T17:33:05Z,x,1,abc,true",
        "2026-11-23T17:33:05Z,x,1,1,yes",
        "2026-11-23T17:33:05Z,x,1,1",
        "2026-11-23T17:33:05Z,x,1,1,true,extra",
        "2026-11-23,x,1,1,true",
        "2026-11-23T17:33,x,1,1,true",
        "2026-11-23T17:33:05Z, y,1, 2,true",
        "2026-11-23T17:33:05Z,y, 1,2,true",
        '2026-11-23T17:33:06Z,"",1,2,true',
        "2026-11-23T17:33:06Z,z,1,inf,true",
        "2026-11-23T17:33:06Z,z,4,Inf,true",
        "2026-11-23T17:33:06Z,z,5,-Inf,true",
        "2026-11-23T17:33:06Z,z,6,nan,true",
        "2026-11-23T17:33:06Z,z,2,1.5d,true",
        "2026-11-23T17:33:06Z,z,3,0x10,true",
        '2026-11-23T17:33:06Z,a"b,1,1,true',
        "-1795455180000,old,1,1,true",
        "",
        "2026-11-23T17:33:07.5Z,ok,2147483647,1,true",
        "2026-11-23T17:33:07.5Z,ok,2147483648,1,true",
        '2026-11-23T17:33:08Z,"c27"x,1,1,true',
        '2026-11-23T17:33:08Z,"a,b"x,1,1,true',
        '2026-11-23T17:33:08Z,"sp" ,1,1,true',
        '2026-11-23T17:33:08Z, "lead",1,1,true',
        '2026-11-23T17:33:08Z,"ok""q",1,"2",true',
        '2026-11-23T17:33:09Z,"' + "long " * 2000 + '",1,1,true',
        '2026-11-23T17:33:09Z,open,1,1,"true',
        # Epoch milliseconds of years 1 to 9999 only: past them (or past a long, where Spark's
        # timestamp_millis overflowed and failed the query) the line is rejected.
        "253402300799999,last ms of 9999,1,1,true",
        "-62135596800000,first ms of 1,1,1,true",
        "253402300800000,year 10000,1,1,true",
        "-62135596800001,year 0,1,1,true",
        "9223372036854775,ms near a long's end,1,1,true",
        "9223372036854776,ms overflowing,1,1,true",
        "99999999999999999,ms overflowing,1,1,true",
        "9223372036854775808,past a long,1,1,true",
        "000000000000000000001795455180000,zeros,1,1,true",
    ]),
    "json": ("ts TIMESTAMP, k STRING, n BIGINT, x DOUBLE", [
        '{"ts":"2026-11-23T17:33:00Z","k":"a","n":1,"x":2.5}',
        '{"k":"no time","n":1}',
        '{"ts":null,"k":"null time","n":1}',
        '{"ts":1795455180,"k":"b"}',
        '{"ts":"2026-11-23T17:33:01Z","k":5,"n":"3"}',
        '{"ts":"2026-11-23T17:33:01Z","k":{"a":1},"n":1.0}',
        '{"ts":"2026-11-23T17:33:01Z","k":[1,2],"x":"NaN"}',
        '{"ts":"2026-11-23T17:33:01Z","k":"c","x":"3.5"}',
        '{"ts":"2026-11-23T17:33:01Z","k":"c","x":1e400}',
        '{"ts":"2026-11-23T17:33:01Z","k":"c","n":9223372036854775808}',
        '{"ts":"2026-11-23","k":"d"}',
        '{"ts":"2026-11-23 17:33:02","k":"e"}',
        '{"ts":"2026-11-23t17:33:02z","k":"lower"}',
        '{"ts":null,"k":"f"}',
        '{"k":"g"}',
        "[1,2]",
        "5",
        "null",
        "{bad",
        '{"ts":"2026-11-23T17:33:03Z","K":"up","k":"dup","k":"last"}',
        '{"ts":"2026-11-23T17:33:03Z","k":"\\u00e9\\n","x":-1}',
        '{"ts":"2026-11-23T17:33:03Z","k":true,"x":"Infinity","n":-5}',
        '{"ts":1795455180.5,"k":"frac"}',
        '{"ts":"1795455180","k":"string seconds"}',
        '  {"ts":"2026-11-23T17:33:04Z","k":"spaces"}  ',
        '{"ts":"2026-11-23T17:33:05Z","k":"trail"} xx',
        '{"ts":"2026-11-23T17:33:05Z","k":"two"},{"k":"z"}',
        '{"ts":"2026-11-23T17:33:05Z","k":"two"} {"k":"z"}',
        '{"ts":"2026-11-23T17:33:05Z","k":"brace"}}',
        '{"ts":"2026-11-23T17:33:05Z","k":"comma"},',
        '{"ts":"2026-11-23T17:33:06Z","k":"nan","x":NaN}',
        '{"ts":"2026-11-23T17:33:06Z","k":"minf","x":"-INF"}',
        "{'ts':'2026-11-23T17:33:06Z','k':'single','x':8}",
        '{"ts":"2026-11-23T17:33:06Z","k":1e2}',
        '{"ts":"2026-11-23T17:33:06Z","k":{"name": "a",  "z":[1, 2.50, 1e2]}}',
        '{"ts":"2026-11-23T17:33:06Z","k":"lone\\ud800"}',
        '{"ts":"2026-11-23T17:33:06+18:01","k":"far offset"}',
        '{"ts":"2026-11-23T17:33:05Z","k":"bracket"}]',
        '{"ts":"2026-11-23T17:33:05Z","k":"bracket"}] xx',
        '{"ts":"2026-11-23T17:33:05Z","k":"bracket"}],[3',
        # A whole number is seconds, even of four to six digits (not a year, as in a string).
        '{"ts":2026,"k":"2026 seconds"}',
        '{"ts":-32769,"k":"-32769 seconds"}',
        '{"ts":1000,"k":"1000 seconds"}',
        '{"ts":100000,"k":"100000 seconds"}',
        '{"ts":"2026","k":"the year 2026"}',
        '{"ts":6249254803199,"k":"seconds to 200000"}',
        '{"ts":"2026","k":"named twice, a number last","ts":2026}',
        '{"ts":2026,"k":"named twice, a string last","ts":"2026"}',
        '{"ts":2026,"k":"named twice, null last","ts":null}',
        # Nesting to 1,000 deep, the line's object counted, and no deeper.
        '{"ts":"2026-11-23T17:33:10Z","k":"999 deep","z":' + "[" * 999 + "]" * 999 + "}",
        '{"ts":"2026-11-23T17:33:10Z","k":"1000 deep","z":' + "[" * 1000 + "]" * 1000 + "}",
        '{"ts":"2026-11-23T17:33:10Z","k":"999 deep","z":' + '{"a":' * 999 + "1" + "}" * 999
        + "}",
    ]),
}


#: A recorded time: RFC 3339 in UTC, the year signed past 9999 or before 1 (`+200000`, `-0001`).
RECORDED_TIME = re.compile(r"([+-]?[0-9]{4,})-([0-9]{2})-([0-9]{2})"
                           r"T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z")


def micros(text):
    """Microseconds since the epoch of a recorded time, of any year (proleptic Gregorian)."""
    fields = RECORDED_TIME.fullmatch(text).groups()
    year, month, day, hour, minute, second, fraction = map(int, fields)
    # Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    year -= month <= 2
    era = year // 400
    of_era = year - era * 400
    of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    days = era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468
    return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + fraction


def typed(data_type, text):
    """A recorded cell (window-tui's --record) as the Python value Spark's collect() gives (a
    TIMESTAMP as microseconds since the epoch, unix_micros: Python's datetime stops at 9999)."""
    if text == "\\N":
        return None
    if data_type == "TIMESTAMP":
        return micros(text)
    if data_type in ("INT", "BIGINT"):
        return int(text)
    if data_type == "DOUBLE":
        return float(text)
    if data_type == "BOOLEAN":
        return text == "true"
    return text


def check_lines(spark, binary, folder):
    """Per format: the rows only window-tui, or only the exported job, read from LINE_CASES."""
    found = {}
    for fmt, (schema, lines) in LINE_CASES.items():
        query = ["--format", fmt, "--schema", schema, "--event-time", "ts", "--group-by", "k"]
        lines_file = os.path.join(folder, f"{fmt}_lines.txt")
        with open(lines_file, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        job_path, record = os.path.join(folder, f"{fmt}_job.py"), os.path.join(folder, f"{fmt}.csv")
        subprocess.run([binary, "export-spark", *query, "-o", job_path, "--force"], check=True,
                       cwd=folder)
        subprocess.run([binary, "--headless", "--generator", "file", "--file", lines_file,
                        "--delay", "0s", "--no-checkpoint", "--sink", "json", "--trigger", "1s",
                        "--record", record, *query], check=True, cwd=folder,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        job = load_job(f"lines_{fmt}", job_path)
        arrival = datetime.datetime(2026, 1, 1)
        df = spark.createDataFrame([(line, arrival) for line in lines],
                                   "value STRING, timestamp TIMESTAMP")
        parsed = job.parse_lines(df)
        parsed = parsed.select(*[F.unix_micros(parsed[job.quoted(name)]) if t == "TIMESTAMP"
                                 else parsed[job.quoted(name)] for name, t in job.COLUMNS])
        spark_rows = collections.Counter(repr(list(row)) for row in parsed.collect())
        with open(record, newline="", encoding="utf-8") as f:
            recorded = list(csv.reader(f))[1:]
        ours = collections.Counter(
            repr([typed(t, cell) for (_, t), cell in zip(job.COLUMNS, row[1:])])
            for row in recorded)
        found[fmt] = {"lines": len(lines), "window_tui": sum(ours.values()),
                      "spark": sum(spark_rows.values()),
                      "only_spark": sorted((spark_rows - ours).elements()),
                      "only_window_tui": sorted((ours - spark_rows).elements())}
    return found


def main(argv):
    lines = None
    if len(argv) > 3 and argv[1] == "--lines":
        lines = argv[2:4]
        argv = argv[:1] + argv[4:]
    if len(argv) < 5 or (len(argv) - 1) % 4:
        sys.exit(__doc__.split("\n\n")[1])
    result_path, cases = argv[0], argv[1:]
    # The harness's quiet settings first; the job's start_spark then gets this session and
    # applies its own (shuffle partitions, time zone).
    SparkSession.builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    spark = load_job("session", cases[1]).start_spark("local[2]", "UTC")
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.streaming.fileSink.log.compactInterval", str(1 << 30))
    result = {}
    if lines:
        result["lines"] = check_lines(spark, *lines)
    for i in range(0, len(cases), 4):
        name, job_path, events, sink = cases[i:i + 4]
        started = time.monotonic()
        result[name] = run_case(spark, name, job_path, events, sink)
        print(f"export_harness: {name}: {len(result[name]['progress'])} batches in "
              f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
