"""The cost of ranking a SQLite full-text search by each item's own term occurrences (what
activities use, since bm25's weights count hidden items: docs/security.md) against FTS5's bm25
`rank` (what recommendations and stakeholders use), side by side on one synthetic table.

    python3 bench/fts_rank.py [--items 50000] [--runs 9]
"""

import argparse
import random
import sqlite3
import statistics
import time

WORDS = (
    "the rights of child justice training judges women national institution human plan law "
    "review report"
).split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE s USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2')")
    rng = random.Random(5428)
    db.executemany(
        "INSERT INTO s (rowid, body) VALUES (?, ?)",
        ((i, " ".join(rng.choice(WORDS) for _ in range(60))) for i in range(args.items)),
    )
    orders = {
        "bm25 (rank)": "s.rank",
        "own occurrences (highlight)": "length(highlight(s, 0, char(1), char(2))) - length(s.body) DESC",
    }
    for query in ["justice", '"the" "child"']:
        matches = db.execute("SELECT count(*) FROM s WHERE s MATCH ?", (query,)).fetchone()[0]
        medians = {}
        # Alternated, so both see the same machine.
        times = {name: [] for name in orders}
        for _ in range(args.runs):
            for name, order in orders.items():
                start = time.perf_counter()
                db.execute(
                    f"SELECT rowid FROM s WHERE s MATCH ? ORDER BY {order}, rowid LIMIT 51", (query,)
                ).fetchall()
                times[name].append(time.perf_counter() - start)
        for name in orders:
            medians[name] = statistics.median(times[name])
        a, b = medians.values()
        print(
            f"{query!r}: {matches} matches; "
            + ", ".join(f"{n}: {m * 1000:.1f} ms" for n, m in medians.items())
            + f"; ratio {b / a:.2f}"
        )


if __name__ == "__main__":
    main()
