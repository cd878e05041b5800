#!/usr/bin/env python3
"""Run one of the bench scripts against two binaries, alternately, and report each figure's
median for both and their ratio (after / before), for docs/benchmarks.md.

    python3 bench/compare.py --before OLD/upr-tc --after NEW/upr-tc [--n 3] SCRIPT [ARGS...]

e.g.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python3 bench/compare.py --before old/upr-tc --after new/upr-tc --n 5 import.py --runs 1

SCRIPT is one of import.py, list.py, activities.py, sync.py (in this folder); ARGS go to it
unchanged, `--binary` is added. The runs alternate, their order switching every round (before,
after; after, before; ...), so that the load of a shared machine falls on both alike. Every
figure the script prints (times in ms or s, memory in MB) is collected per run; the report gives
the median of each binary's runs, their ratio, and the range. `--save FILE` keeps every run's
output and figures as JSON.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NUMBER = re.compile(r"(-?[\d,]*\.?\d+)\s*(ms|s|MB)?\b")
# Columns that only restate another (rows/s of a time) or compare within one run.
SKIP_COLUMNS = {"rows/s", "ratio", "p50 ratio"}
# Figures printed as prose rather than in a table: (pattern, [(group, name, unit)]).
PROSE = [
    (re.compile(r"loaded (\d+) recommendations in ([\d.]+) s"), [(2, "load over HTTP", "s")]),
    (re.compile(r"activities imported in ([\d.]+) s; (\d+) consent records in ([\d.]+) s"),
     [(1, "activities load over HTTP", "s"), (3, "consent records", "s")]),
    (re.compile(r"snapshot: .* in ([\d.]+) s .*memory (\d+) MB before, peak (\d+) MB"),
     [(1, "snapshot", "s"), (2, "server memory before snapshot", "MB"),
      (3, "server peak memory", "MB")]),
    (re.compile(r"feed catch-up: .* in ([\d.]+) s"), [(1, "feed catch-up", "s")]),
    (re.compile(r"long-poll delivery after commit: p50 ([\d.]+) ms"),
     [(1, "long-poll delivery p50", "ms")]),
]
ENGINES = ("sqlite", "postgres")


def figures(output):
    """Every figure of one run's output: {(engine, what): (value, unit)}."""
    out = {}
    engine = None
    header = None
    for line in output.splitlines():
        line = line.strip()
        head = line.split(":")[0].split()[0] if line else ""
        if head in ENGINES:
            engine = head
        for pattern, fields in PROSE:
            m = pattern.search(line)
            if m:
                for group, name, unit in fields:
                    out[(engine, name)] = (float(m.group(group)), unit)
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        if not any(NUMBER.match(c) for c in cells[1:]):
            header = cells
            continue
        label = cells[0]
        row_engine = label if label in ENGINES else engine
        for i, cell in enumerate(cells[1:], start=1):
            column = header[i] if header and i < len(header) else str(i)
            if column in SKIP_COLUMNS or "%" in cell:
                continue
            m = NUMBER.match(cell)
            if not m:
                continue
            what = column if label in ENGINES else f"{label}: {column}"
            out[(row_engine, what)] = (float(m.group(1).replace(",", "")), m.group(2) or "")
    return out


def run(script, binary, args):
    cmd = [sys.executable, os.path.join(HERE, script), "--binary", binary, *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode})")
    return p.stdout, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(usage="%(prog)s --before BIN --after BIN [--n N] SCRIPT [ARGS...]")
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--n", type=int, default=3, help="runs of the script per binary")
    ap.add_argument("--save", help="write every run's output and figures to this JSON file")
    ap.add_argument("script")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    binaries = {"before": os.path.abspath(a.before), "after": os.path.abspath(a.after)}
    runs = {"before": [], "after": []}
    for i in range(a.n):
        order = ("before", "after") if i % 2 == 0 else ("after", "before")
        for which in order:
            output, seconds = run(a.script, binaries[which], a.args)
            runs[which].append({"output": output, "figures": figures(output)})
            print(f"round {i + 1}/{a.n}: {which} done in {seconds:.0f} s", file=sys.stderr, flush=True)

    keys = []
    for r in runs["before"] + runs["after"]:
        keys += [k for k in r["figures"] if k not in keys]
    print(f"{a.script} {' '.join(a.args)}: medians of {a.n} runs per binary, alternated")
    print("| engine | figure | before | after | after / before | before range | after range |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    summary = []
    for key in keys:
        vals = {w: [r["figures"][key][0] for r in runs[w] if key in r["figures"]] for w in runs}
        if not vals["before"] or not vals["after"]:
            continue
        unit = next(r["figures"][key][1] for r in runs["before"] + runs["after"] if key in r["figures"])
        b, f = statistics.median(vals["before"]), statistics.median(vals["after"])
        ratio = f / b if b else float("nan")
        summary.append({"engine": key[0], "figure": key[1], "unit": unit, "before": vals["before"],
                        "after": vals["after"], "median_before": b, "median_after": f,
                        "ratio": ratio})
        def fmt(v):
            if unit == "s" or (unit == "ms" and v < 100):
                return f"{v:.2f} {unit}"
            return f"{v:.0f} {unit}"
        print(f"| {key[0] or ''} | {key[1]} | {fmt(b)} | {fmt(f)} | {ratio:.2f} | "
              f"{fmt(min(vals['before']))}–{fmt(max(vals['before']))} | "
              f"{fmt(min(vals['after']))}–{fmt(max(vals['after']))} |")
    if a.save:
        with open(a.save, "w") as f:
            json.dump({"script": a.script, "args": a.args, "binaries": binaries,
                       "runs": {w: [{"output": r["output"]} for r in runs[w]] for w in runs},
                       "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
