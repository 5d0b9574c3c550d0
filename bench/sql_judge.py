"""Speed of the SQL judge on the shipped sample validation set (gold judged against itself, and a mix with errors).

    python bench/sql_judge.py [--repeats 3] [--timeout 5]

Prints a table: cluster start, loading the databases, judging throughput (items/s; each item runs the predicted and
the gold query and compares them), the same with a third of the predictions wrong, and the text-only parts
(extract + validate + normalise) without a server.
"""
import argparse, statistics, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sql_codegen_slm.data import read_records, sample_data_dir  # noqa: E402
from sql_codegen_slm.sql import extract_sql, is_valid_sql, normalize_sql  # noqa: E402
from sql_codegen_slm.judge import evaluate  # noqa: E402
from sql_codegen_slm.postgres import PostgresDatabases  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--timeout", type=float, default=5.0)
    a = p.parse_args()
    val = read_records(sample_data_dir() / "val.jsonl")
    schemas = sample_data_dir() / "schemas"
    gold = [r.gold_sql for r in val]
    # every third prediction wrong in a different way: missing table, wrong column, refused
    bad = ["SELECT * FROM nowhere;", "SELECT 1 AS x;", "DELETE FROM x;"]
    mixed = [bad[(i // 3) % 3] if i % 3 == 0 else g for i, g in enumerate(gold)]
    rows = []

    t0 = time.perf_counter()
    dbs = PostgresDatabases(schemas, timeout_s=a.timeout).__enter__()
    rows.append(("start throwaway PostgreSQL cluster", f"{time.perf_counter() - t0:.2f} s", ""))
    t0 = time.perf_counter()
    dbs.prepare(sorted({r["db_id"] for r in val}))
    rows.append((f"create + load {len({r['db_id'] for r in val})} databases", f"{time.perf_counter() - t0:.2f} s", ""))
    try:
        for name, preds in (("judge gold vs gold", gold), ("judge mixed (1/3 wrong)", mixed)):
            rates, acc = [], None
            for _ in range(a.repeats):
                res = evaluate(val, preds, schemas, dbs=dbs)
                rates.append(res["queries_per_s"]); acc = res["execution_accuracy"]
            rows.append((f"{name}, {len(val)} items", f"{statistics.median(rates):.0f} items/s",
                         f"accuracy {acc:.1%}; runs {', '.join(f'{r:.0f}' for r in rates)}"))
    finally:
        t0 = time.perf_counter(); dbs.close()
        rows.append(("stop + delete cluster", f"{time.perf_counter() - t0:.2f} s", ""))
    t0 = time.perf_counter()
    for g in gold: s = extract_sql(g); is_valid_sql(s); normalize_sql(s)
    rows.append(("extract + validate + normalise (no server)", f"{len(gold) / (time.perf_counter() - t0):.0f} items/s", ""))

    w = max(len(r[0]) for r in rows)
    print(f"{'step':<{w}}  {'figure':>14}  note\n{'-' * w}  {'-' * 14}  ----")
    for r in rows: print(f"{r[0]:<{w}}  {r[1]:>14}  {r[2]}")


if __name__ == "__main__":
    main()
