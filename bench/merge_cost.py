"""What merging a 4-bit-trained adapter into the bf16 base costs (issue 29), on CPU.

Trains SmolLM2-135M-Instruct with the recipe on an NF4 4-bit base (`quantization.on_cpu`), with the settings of the
bf16-rounding run in the README (smoke preset, all 814 rows, batch 4, LoRA r=16 alpha=32 on every projection, lr 5e-4,
60 steps); exports the merged bf16 model (`export.export`); then asks the validation questions greedily
(`generate.generate_sql`) of the adapter on its NF4 base, of the same adapter on the unquantized float32 base and of the
export, and judges all three on PostgreSQL (`judge.evaluate`); a fourth row merges the LoRA into the dequantized NF4
weights instead of the original ones (in memory; `export` does not). Prints a table and the wall times; writes JSON.

    python bench/merge_cost.py --out /tmp/merge_cost            # ~35 min on 2 shared CPU cores

Re-running resumes: a finished run is not trained again, an existing export is reused. `--on-cpu dequantized` (the
default) trains and asks on the NF4 values in plain float32 layers (`fast_paths.dequantize_4bit_layers`), because
bitsandbytes' CPU kernels took 60-110 s a training step here; `--check-real N` asks the first N questions of the
adapter on bitsandbytes' own 4-bit layers too, unmerged, and counts how many SQL strings equal the fast path's."""
import argparse, json, subprocess, sys, time
from pathlib import Path

SETTINGS = ["model.name=smollm2-135m", "lora.r=16", "lora.lora_alpha=32", "lora.target_modules=auto",
            "training.max_steps={steps}", "training.per_device_train_batch_size=4",
            "training.gradient_accumulation_steps=1", "training.learning_rate=5e-4", "training.eval_strategy=no",
            "training.save_steps=1000", "data.max_samples_train=null", "data.max_samples_val=16",
            "logging.logging_steps=10", "logging.report_to=[]", "logging.extract_representations_every_steps=null",
            "logging.sql_eval_samples=0", "quantization.on_cpu={on_cpu}"]


def train(run: Path, steps: int, on_cpu: str) -> dict:
    "Train (or find finished) the run; its summary with the wall time of this call."
    sets = [x for s in SETTINGS for x in ("--set", s.format(steps=steps, on_cpu=on_cpu))]
    cmd = [sys.executable, "-m", "sql_codegen_slm.train", "--config", "smoke", "--output_dir", str(run), *sets]
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    (run.parent / "train.log").write_text(p.stdout + p.stderr)
    if p.returncode: sys.exit(f"training failed ({p.returncode}); see {run.parent / 'train.log'}:\n{p.stderr[-2000:]}")
    fin = json.loads((run / "final" / "FINISHED.json").read_text())
    return dict(fin, command=" ".join(cmd[1:]), wall_s=round(time.perf_counter() - t0, 1),
                quantization=next((l for l in (run / "final" / "README.md").read_text().splitlines()
                                   if l.startswith("- base model:")), "?"))


def ask(model, tok, gold, dbs, name: str) -> dict:
    "Greedy SQL for `gold`, judged; generation figures and wall time."
    from sql_codegen_slm.generate import generate_sql
    from sql_codegen_slm.judge import evaluate
    st, t0 = {}, time.perf_counter()
    sql = generate_sql(model, tok, gold, stats=st)
    rep = evaluate(gold, sql, dbs)
    print(f"  {name}: {st['seconds']:.0f} s generating ({st['queries_per_s']} q/s), execution accuracy "
          f"{rep['execution_accuracy']:.1%}", flush=True)
    return dict(sql=sql, report=rep, generation=st, wall_s=round(time.perf_counter() - t0, 1))


def table(rows: dict, ref: str, n: int) -> str:
    "Markdown: each path's metrics and its agreement with the `ref` path."
    out = ["| path (greedy, `generate_sql`) | execution accuracy | valid SQL | exact | identical SQL vs NF4 path "
           "| same verdict |", "|---|---|---|---|---|---|"]
    for name, r in rows.items():
        rep, a = r["report"], rows[ref]
        same = sum(x == y for x, y in zip(r["sql"], a["sql"]))
        verdict = sum(x["correct"] == y["correct"] for x, y in zip(rep["items"], a["report"]["items"]))
        ok = sum(i["correct"] for i in rep["items"])
        out.append(f"| {name} | {rep['execution_accuracy']:.1%} ({ok}/{n}) | {rep['valid_sql_rate']:.1%} | "
                   f"{rep['exact_match']:.1%} | {same}/{n} ({same / n:.1%}) | {verdict}/{n} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="working directory: run/, export/, merge_cost.json")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--n", type=int, default=164, help="validation questions asked (sample:val.jsonl has 164)")
    ap.add_argument("--on-cpu", default="dequantized", choices=("dequantized", "true"),
                    help="quantization.on_cpu of the run, and the adapter's NF4 path: dequantized layers or bnb's")
    ap.add_argument("--check-real", type=int, default=0, metavar="N",
                    help="also ask the first N questions on bitsandbytes' 4-bit layers, unmerged (slow on CPU)")
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    res = dict(train=train(out / "run", a.steps, a.on_cpu))
    print(f"trained: {res['train']['quantization']}; {res['train']['wall_s']} s", flush=True)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from sql_codegen_slm.data import resolve_data_path, sample_data_dir
    from sql_codegen_slm.export import adapter_on_base, export
    from sql_codegen_slm.judge import read_gold
    exp, t0 = out / "export", time.perf_counter()
    res["export"] = (json.loads((exp / "sql_codegen.json").read_text()) if (exp / "sql_codegen.json").is_file()
                     else {k: v for k, v in export(out / "run", exp).items() if k != "files"})
    res["export"]["call_s"] = round(time.perf_counter() - t0, 1)
    gold, dbs = read_gold(resolve_data_path("sample:val.jsonl"))[:a.n], sample_data_dir() / "schemas"
    n, fast, rows = len(gold), a.on_cpu == "dequantized", {}
    for name, base in (("adapter on its NF4 base (the path training took)", "trained"),
                       ("adapter on the unquantized float32 base", "float32")):
        model, tok, how = adapter_on_base(out / "run" / "final", base, fast)
        rows[name] = dict(ask(model, tok, gold, dbs, name), base=how)
        if fast and base == "trained":  # what an export merged into the NF4 values (not the original weights) would be
            alt = "merged into the dequantized NF4 base instead, bf16 (not what export does)"
            rows[alt] = dict(ask(model.to(torch.bfloat16), tok, gold, dbs, alt), base=how + ", then bfloat16")
        del model
    m = AutoModelForCausalLM.from_pretrained(str(exp))
    rows["export: merged, bf16, plain `from_pretrained`"] = dict(ask(m, AutoTokenizer.from_pretrained(str(exp)), gold,
                                                                     dbs, "export"), base="bf16 export")
    ref = next(iter(rows))
    if a.check_real:
        model, tok, how = adapter_on_base(out / "run" / "final", "trained", fast=False)
        real = ask(model, tok, gold[:a.check_real], dbs, f"bitsandbytes 4-bit layers, first {a.check_real}")
        same = sum(x == y for x, y in zip(real["sql"], rows[ref]["sql"]))
        res["check_real"] = dict(real, base=how, identical_with_fast=same)
        print(f"bitsandbytes' own 4-bit path vs the fast NF4 path: identical SQL {same}/{a.check_real}")
    res["rows"], res["n"] = rows, n
    res["table"] = table(rows, ref, n)
    print(res["table"])
    for name, r in rows.items(): print(f"- {name}: {r['base']}; generation {r['generation']['seconds']:.0f} s")
    (out / "merge_cost.json").write_text(json.dumps(res, indent=1, default=str))
    print(f"wrote {out / 'merge_cost.json'}")


if __name__ == "__main__": main()
