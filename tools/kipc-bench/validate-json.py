#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Validate kipc-bench JSON output (and, with --csv, its CSV twin).

usage: validate-json.py SCHEMA [--csv FILE] [--mechs "M..."] FILE.json...

Each file: the JSON schema (when python3-jsonschema is installed), the
"schema" field, options.rounds "test" or absent, no failed row, a positive median_ns in every ok row, the
environment of every row. --mechs: the first file has an ok latency and
wake row for each mechanism named, and the memcpy and syscall reference
rows. --csv: FILE has one row per result of the first file.
Errors go to stderr, one a line; the exit status is 1 when there is one.
"""
import argparse
import csv
import json
import sys


def check(doc, name, schema, errors):
    try:
        import jsonschema
    except ImportError:
        print("# jsonschema missing: structural checks only")
    else:
        try:
            jsonschema.validate(doc, schema)
        except jsonschema.ValidationError as e:
            errors.append("%s: schema: %s" % (name, e.message))
    if doc.get("schema") != "kipc-bench/1":
        errors.append("%s: schema field is %r" % (name, doc.get("schema")))
    # "test": each round ran every row of a test, all its sizes; absent in
    # files written before, whose rounds were per (test, size).
    rounds = doc.get("options", {}).get("rounds", "test")
    if rounds != "test":
        errors.append("%s: options.rounds is %r, not 'test'" % (name, rounds))
    for r in doc["results"]:
        key = "%s %s %s %s" % (r["test"], r["mechanism"], r["mode"], r["size"])
        if r["status"] == "failed":
            errors.append("%s: %s failed: %s" % (name, key, r.get("reason")))
        if r["status"] == "ok":
            for f in ("median_ns", "cpu_sys_ns_per_msg"):
                if not (isinstance(r.get(f), (int, float)) and r[f] >= 0):
                    errors.append("%s: %s: bad %s" % (name, key, f))
            if not isinstance(r.get("median_ns"), (int, float)) or r["median_ns"] <= 0:
                errors.append("%s: %s: median_ns is not positive" % (name, key))
        for f in ("kernel", "virt", "clocksource"):
            if f not in r.get("environment", {}):
                errors.append("%s: %s: no environment.%s" % (name, key, f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("schema")
    ap.add_argument("--csv")
    ap.add_argument("--mechs")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    schema = json.load(open(args.schema))
    errors = []
    docs = []
    for path in args.files:
        doc = json.load(open(path))
        docs.append(doc)
        check(doc, path, schema, errors)
    first, name = docs[0], args.files[0]

    if args.mechs is not None:
        ok = {(r["test"], r["mechanism"]) for r in first["results"]
              if r["status"] == "ok"}
        for m in args.mechs.split():
            for t in ("latency", "wake"):
                if (t, m) not in ok:
                    errors.append("%s: no ok %s row for %s" % (name, t, m))
        for ref in ("memcpy", "syscall"):
            if ("reference", ref) not in ok:
                errors.append("%s: no %s reference row" % (name, ref))

    if args.csv is not None:
        rows = list(csv.DictReader(open(args.csv)))
        if len(rows) != len(first["results"]):
            errors.append("%s: %d rows, %s %d" % (args.csv, len(rows), name,
                                                  len(first["results"])))
        for row in rows:
            if row["schema"] != "kipc-bench/1" or not row["kernel"]:
                errors.append("%s: bad row %s" % (args.csv, row))
                break

    for e in errors:
        print(e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
