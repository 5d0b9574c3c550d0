"""Real learning, measured: a real pretrained model judged on PostgreSQL before and after the project's recipe.

    python bench/real_models.py --model smollm2-135m --out runs/real/smollm2 [--set training.num_train_epochs=2 ...]
    python bench/real_models.py --judge runs/real/smollm2          # judge saved predictions (where PostgreSQL runs)
    python bench/real_models.py --table runs/real/smollm2 runs/real/gemma3   # the markdown table of finished runs

For one model (`model.name`: smollm2-135m, gemma3-270m, any .gguf or HF directory) and the `real` preset:
1. zero-shot: the base model in its own prompt format (`data.prompt_format=auto`), greedy, on the shipped validation
   split (`sample:val.jsonl`, 164 questions on the 4 training schemas) and on the held-out schema
   (`sample:unseen.jsonl`, a fifth database that no training file contains);
2. the recipe: `sql_codegen_slm.train.train` on the preset's data (the sample data and the synthetic schemas), the
   SQL-metrics callback's curve on 32 validation questions as it trains;
3. fine-tuned: the final adapter merged into its base (`generate.load_for_inference`), the same two sets.
Predictions go to OUT/predictions_{base,tuned}_{val,unseen}.jsonl; they are judged on PostgreSQL (pgserver) when it
is installed, else later with --judge. OUT/results.json holds every figure, OUT/curve.png the loss and SQL curves.
The last lines printed are the table. GPU: seconds per epoch; CPU: use --set training.max_steps=N for a mechanics run.
"""
import argparse, importlib.util, json, sys, time
from pathlib import Path

SETS = {"val": "sample:val.jsonl", "unseen": "sample:unseen.jsonl"}
SCHEMAS = {"val": "schemas", "unseen": "heldout_schemas"}  # folders of sample_data/ the judge loads for each set
KEYS = ("execution_accuracy", "valid_sql_rate", "exact_match")


def _records(limit):
    from sql_codegen_slm.data import read_records
    return {k: read_records(v)[:limit] if limit else read_records(v) for k, v in SETS.items()}


def _predict(model, tok, recs: dict, out: Path, tag: str, max_new_tokens: int) -> dict:
    "Greedy predictions for each set, written as JSONL; returns generation stats."
    from sql_codegen_slm.generate import generate_sql
    stats = {}
    for name, rs in recs.items():
        st = {}
        preds = generate_sql(model, tok, rs, max_new_tokens=max_new_tokens, stats=st)
        with open(out / f"predictions_{tag}_{name}.jsonl", "w") as f:
            for r, p in zip(rs, preds):
                f.write(json.dumps(dict(db_id=r["db_id"], category=r.get("category"), sql=p)) + "\n")
        stats[name] = st
        print(f"{tag}/{name}: {len(preds)} predictions, {st.get('queries_per_s')} q/s", flush=True)
    return stats


def judge(out: Path, limit=None) -> dict:
    "Judge every predictions file in `out` on PostgreSQL; the figures (and per-database/category) into results.json."
    from sql_codegen_slm.data import sample_data_dir
    from sql_codegen_slm.judge import evaluate
    from sql_codegen_slm.postgres import PostgresDatabases
    recs, res = _records(limit), json.loads((out / "results.json").read_text())
    for name, rs in recs.items():
        with PostgresDatabases(sample_data_dir() / SCHEMAS[name]) as dbs:
            for tag in ("base", "tuned"):
                p = out / f"predictions_{tag}_{name}.jsonl"
                if not p.exists(): continue
                preds = [json.loads(l)["sql"] for l in p.read_text().splitlines()]
                r = evaluate(rs, preds, None, dbs=dbs)
                (out / f"judged_{tag}_{name}.jsonl").write_text("".join(json.dumps(it) + "\n" for it in r.pop("items")))
                res.setdefault("judged", {}).setdefault(tag, {})[name] = r
    (out / "results.json").write_text(json.dumps(res, indent=1))
    return res


def table(outs) -> str:
    "Markdown: base / fine-tuned execution accuracy, valid SQL and exact match on each set, one row per run."
    rows = ["| model | set | n | base EX | tuned EX | base valid | tuned valid | base exact | tuned exact |",
            "|---|---|---|---|---|---|---|---|---|"]
    for out in outs:
        res = json.loads((Path(out) / "results.json").read_text())
        j = res.get("judged", {})
        for name in SETS:
            b, t = j.get("base", {}).get(name), j.get("tuned", {}).get(name)
            if not (b or t): continue
            n = (b or t)["n"]
            cell = lambda r, k: f"{r[k]:.1%}" if r else "–"
            rows.append(f"| {res['model']} | {name} | {n} | " + " | ".join(
                f"{cell(b, k)} | {cell(t, k)}" for k in KEYS) + " |")
    return "\n".join(rows)


def run(a) -> dict:
    import torch
    from transformers import AutoModelForCausalLM
    from sql_codegen_slm.config import load_config
    from sql_codegen_slm.generate import load_for_inference
    from sql_codegen_slm.model import load_tokenizer, resolve_model_name
    from sql_codegen_slm.train import train, plot_losses
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    cfg = load_config(a.config, [f"model.name={a.model}", f"training.output_dir={out / 'run'}", *a.set])
    recs, t0 = _records(a.limit), time.time()
    res = dict(model=a.model, config=cfg.to_dict(), device=torch.cuda.get_device_name() if torch.cuda.is_available()
               else "cpu", n={k: len(v) for k, v in recs.items()})
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if dev == "cuda" else torch.float32
    if not a.no_base:
        tok = load_tokenizer(a.model, cfg.data.prompt_format)
        base = AutoModelForCausalLM.from_pretrained(resolve_model_name(a.model), dtype=dtype).to(dev)
        res["base_generation"] = _predict(base, tok, recs, out, "base", a.max_new_tokens)
        del base
        if dev == "cuda": torch.cuda.empty_cache()
    t1 = time.time()
    r = train(cfg, resume_from_checkpoint=None)
    res["train"] = {k: getattr(r, k) for k in ("global_step", "train_loss", "eval_loss", "wall_s", "data", "model")}
    res["train"]["data"] = {k: v for k, v in vars(r.data).items() if k != "skipped"}
    res["log_history"] = r.log_history
    res["train_s"] = round(time.time() - t1, 1)
    model, tok, how = load_for_inference(r.final_dir)
    res["inference"] = how
    res["tuned_generation"] = _predict(model, tok, recs, out, "tuned", a.max_new_tokens)
    res["wall_s"] = round(time.time() - t0, 1)
    (out / "results.json").write_text(json.dumps(res, indent=1, default=str))
    epochs = cfg.training.get("num_train_epochs")
    plot_losses({a.model: r.log_history}, out / "curve.png", title=f"{a.model}, {epochs} epochs")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--config", default="real", help="preset or YAML (default: the real preset)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--set", action="append", default=[], help="config override section.key=value (repeatable)")
    ap.add_argument("--limit", type=int, default=None, help="first N questions of each set (a mechanics run)")
    ap.add_argument("--max-new-tokens", type=int, default=160)
    ap.add_argument("--no-base", action="store_true", help="skip the zero-shot predictions")
    ap.add_argument("--judge", metavar="OUT", help="only judge the predictions saved in OUT")
    ap.add_argument("--table", nargs="+", metavar="OUT", help="only print the table of judged runs")
    a = ap.parse_args(argv)
    if a.table: print(table(a.table)); return 0
    if a.judge: judge(Path(a.judge), a.limit); print(table([a.judge])); return 0
    a.out = a.out or f"runs/real/{Path(a.model).stem}"
    run(a)
    if importlib.util.find_spec("pgserver") is not None:
        judge(Path(a.out), a.limit); print(table([a.out]))
    else: print(f"pgserver is not installed here: judge later with  python bench/real_models.py --judge {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
