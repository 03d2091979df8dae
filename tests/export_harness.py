#!/usr/bin/env python3
"""Runs PySpark jobs written by `window-tui export-spark --replay-dir DIR --sink file` on
corpus cases, the way the corpus was made, and reports what Spark produced.

Usage: export_harness.py RESULT.json NAME JOB.py EVENTS.csv [NAME JOB.py EVENTS.csv ...]

For each case the job is imported (not edited) and driven through its own functions:
start_spark(master, time_zone) and start_query(spark, "file"). The case's events.csv
(`batch,event_time,value`) is staged in the job's REPLAY_DIR, one file per tick, each written
aside and renamed into place with increasing modification times, so that the job's
maxFilesPerTrigger=1 makes each file one micro-batch. Consecutive ticks with rows are staged
together: pending files always make data batches, one after the other. A tick without rows (a
gap, and the one after the last tick) is an idle trigger: StreamingQuery.processAllAvailable()
returns only after a trigger found nothing to do, so by then Spark has run its no-data batch if
the watermark had moved, exactly as at an idle tick.

The only setting the harness adds is a file sink log that is never compacted
(spark.sql.streaming.fileSink.log.compactInterval), so that `_spark_metadata/N` names the files
of batch N. RESULT.json maps each NAME to
  rows:     [batch id, partition folder, value, count] for every row of every part file;
  progress: the StreamingQueryProgress of every batch (batchId, numInputRows, eventTime,
            stateOperators, ...).
"""

import csv
import importlib.util
import json
import os
import sys
import time
import urllib.parse

from pyspark.sql import SparkSession

TIMEOUT_S = 120


def load_job(name, path):
    spec = importlib.util.spec_from_file_location(f"exported_job_{name}", path)
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    return job


def read_ticks(events):
    """{tick: [(event_time, value), ...]} of a replay file."""
    ticks = {}
    with open(events, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ticks.setdefault(int(row["batch"]), []).append((row["event_time"], row["value"]))
    return ticks


def stage(folder, tick, rows, mtime):
    """One tick's rows as `event_time,value` CSV, written aside, then renamed into `folder`."""
    name = f"tick-{tick:06d}.csv"
    aside = os.path.join(folder, "." + name)
    with open(aside, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["event_time", "value"])
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
    """[batch, partition folder, value, count] of every file the sink log lists."""
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
                for value, count in csv.reader(f):
                    rows.append([int(entry), partition, value, int(count)])
    return rows


def run_case(spark, name, job_path, events):
    job = load_job(name, job_path)
    os.makedirs(job.REPLAY_DIR, exist_ok=True)
    query = job.start_query(spark, "file")
    try:
        ticks = read_ticks(events)
        mtime = int(time.time()) - 86400
        staged, tick, last = 0, 0, max(ticks, default=-1)
        while tick <= last:
            if tick not in ticks:
                tick += 1
                continue
            while tick in ticks:
                stage(job.REPLAY_DIR, tick, ticks[tick], mtime + staged)
                staged += 1
                tick += 1
            settle(query, staged)
        progress = [p for p in query.recentProgress if "addBatch" in p.get("durationMs", {})]
    finally:
        query.stop()
    return {"rows": sink_rows(job.APP_DATA_OUTPUT_DIR), "progress": progress}


def main(argv):
    if len(argv) < 4 or (len(argv) - 1) % 3:
        sys.exit(__doc__.split("\n\n")[1])
    result_path, cases = argv[0], argv[1:]
    # The harness's quiet settings first; the job's start_spark then gets this session and
    # applies its own (shuffle partitions, time zone).
    SparkSession.builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    spark = load_job("session", cases[1]).start_spark("local[2]", "UTC")
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.streaming.fileSink.log.compactInterval", str(1 << 30))
    result = {}
    for i in range(0, len(cases), 3):
        name, job_path, events = cases[i:i + 3]
        started = time.monotonic()
        result[name] = run_case(spark, name, job_path, events)
        print(f"export_harness: {name}: {len(result[name]['progress'])} batches in "
              f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
