#!/usr/bin/env python3
"""A ranked search's first page on SQLite, as the service asked for it before and after the
search stopped at the last item it found for the caller (docs/benchmarks.md, "The window
over a search's matches"): the table's last item read first, against the ranking wrapped in a
query with `max(seq) OVER ()`. Side by side, 30 times each, medians. Reads a seeded database
(`upr-tc seed --scale small`); needs SQLite 3.43 or later (`pip install pysqlite3-binary`).

python3 bench/ranked_window.py DB TABLE SEARCH_TABLE TERM RANK_EXPRESSION
"""
import statistics, sys, time
try:
    import pysqlite3 as sqlite3
except ImportError:
    import sqlite3
db, table, search, term, rank = sys.argv[1:6]
c = sqlite3.connect(db)
inner = (f"SELECT r.seq, {rank} AS k FROM {search} CROSS JOIN {table} r ON r.seq = {search}.rowid "
         f"WHERE {search} MATCH ?")
page = " ORDER BY k, r.seq LIMIT 51"
def before():
    upto = c.execute(f"SELECT coalesce(max(seq), 0) FROM {table}").fetchone()[0]
    return c.execute(f"SELECT d.seq, d.document, p.k FROM ({inner} AND r.seq <= {upto}{page}) p "
                     f"JOIN {table} d ON d.seq = p.seq ORDER BY p.k, p.seq", (term,)).fetchall()
def after():
    return c.execute(f"SELECT d.seq, d.document, p.k, p.top FROM (SELECT seq, k, max(seq) OVER () "
                     f"AS top FROM ({inner}) r{page}) p JOIN {table} d ON d.seq = p.seq "
                     f"ORDER BY p.k, p.seq", (term,)).fetchall()
assert [r[:3] for r in before()] == [r[:3] for r in after()]
matches = c.execute(f"SELECT count(*) FROM {search} WHERE {search} MATCH ?", (term,)).fetchone()[0]
times = {"before": [], "after": []}
for _ in range(30):
    for name, f in (("before", before), ("after", after)):
        t = time.perf_counter(); f(); times[name].append(time.perf_counter() - t)
b, a = statistics.median(times["before"]), statistics.median(times["after"])
print(f"{table} q={term} ({matches} matches): before {b*1000:.2f} ms, after {a*1000:.2f} ms, ratio {a/b:.2f}")
