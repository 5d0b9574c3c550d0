"""The default export of a 4-bit-trained run (merged into the NF4 values) against the adapter on its NF4 base, judged on
the 164 validation questions: `python bench/merge_cost_export.py RUN OUT` (RUN: `bench/merge_cost.py --out DIR`'s
DIR/run). Prints the export's time and size, both paths' execution accuracy, valid SQL and exact match, and agreement."""
import argparse, json, time


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="a finished run trained with quantization.on_cpu=dequantized (or on a GPU in 4-bit)")
    ap.add_argument("out", help="a new directory for the export")
    a = ap.parse_args(argv)
    from sql_codegen_slm.data import resolve_data_path, sample_data_dir
    from sql_codegen_slm.export import agreement, export
    from sql_codegen_slm.judge import read_gold
    t0 = time.perf_counter(); res = export(a.run, a.out)
    print(f"export {time.perf_counter() - t0:.1f} s, {res['bytes']:,} bytes; {res['how']}")
    gold, dbs = read_gold(resolve_data_path("sample:val.jsonl")), sample_data_dir() / "schemas"
    r = agreement(a.out, a.run, gold, dbs, fast=True)
    for k in ("adapter", "export"):
        print(f"{k}: execution accuracy {r[k]['execution_accuracy']:.1%}, valid SQL {r[k]['valid_sql_rate']:.1%}, "
              f"exact {r[k]['exact_match']:.1%}")
    print(f"base: {r['base']}\nidentical SQL {r['identical']}/{r['n']}, same verdict {r['same_verdict']}/{r['n']}")
    json.dump({k: v for k, v in r.items() if k not in ("adapter_sql", "export_sql")},
              open(f"{a.out}.agreement.json", "w"), indent=1, default=str)


if __name__ == "__main__": main()
