"""SQL generation throughput for evaluation on a random Mistral-7B-shaped model with a LoRA adapter (one device command).

Builds `MistralConfig()` with random bf16 weights, saves it with the real Mistral-7B tokenizer (from mistral-common's
SentencePiece file), adds a LoRA adapter (r=16, alpha 32, all 7 projections, B randomised so that merging matters) and
saves it. Prompts are the shipped validation questions with their schema text repeated until each prompt reaches a
length drawn from the realistic distribution (median ~550 prompt tokens, p90 1,200, clipped to [64, 1500]). Every
variant generates greedily, 128 new tokens at most, and reports queries/s, new tokens/s and peak allocated memory:

- today: the smoke's path (`model.load_model`: 4-bit NF4 base + fused LoRA; `generate_sql(fast=False)`: batches of 8
  in file order, the model's own cache setting, EOS as the only stop)
- today, cache off: the same after padding-free training (`config.use_cache = False`), i.e. the callback's situation
- each change on its own (`generate_sql(fast=True)`), on the 4-bit model and on the LoRA merged into a bf16 base
  (`generate.load_for_inference`): `decoder="hf"` (HF `generate`: cache forced on, length-sorted batches, the
  statement stop, batch size from free memory), `decoder="eager"` (`decode_greedy`: packed prefill, one-token steps
  on the KV heads), and the final `decoder="graph"` (the same steps replayed from a CUDA graph), on all 164 questions
  (the final row's predictions are written for judging: `sql-codegen-eval --predictions`; pgserver is not on the GPU
  box); the final path again in two batches of 82 (less KV cache read per step, twice the steps), and with Liger's
  fused kernels (the default of `load_for_inference`)
- callback: 16 questions (`logging.sql_eval_samples` default) on the 4-bit training model, fast path
- `--no-today` skips the slow plain-path rows (measured in `bench/RESULTS.md` before)

Random weights never write `;` + newline or EOS, so every row runs all 128 tokens: the worst case for the stop.

    PYTHONPATH=. python bench/generate_throughput.py --out $OUT     # on the GPU
    PYTHONPATH=. python bench/generate_throughput.py --tiny          # CPU dry run of every code path (tiny model)
"""
import argparse, gc, json, sys, tempfile, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sql_codegen_slm.config import load_config  # noqa: E402
from sql_codegen_slm.data import read_records, sample_data_dir  # noqa: E402
from sql_codegen_slm.generate import generate_sql, load_for_inference  # noqa: E402
from sql_codegen_slm.fast_paths import apply_liger  # noqa: E402
from sql_codegen_slm.model import load_model, resolve_model_name  # noqa: E402
from train_throughput import GiB, TARGETS, log, realistic_lengths  # noqa: E402  (this folder: the same lengths)


def realistic_records(tok, n, scale=1.0):
    "The validation records, their schema repeated until each prompt has about its drawn number of tokens."
    val, out = read_records(sample_data_dir() / "val.jsonl"), []
    for i, target in enumerate(realistic_lengths(n, median=550 * scale, p90=1200 * scale, lo=64 * scale,
                                                 hi=1500 * scale)):
        r = json.loads(json.dumps(val[i % len(val)]))
        user = r["messages"][1]["content"]
        head, _, q = user.rpartition("Question:")
        schema, extra = head, ""
        while len(tok(schema + extra + "Question:" + q)["input_ids"]) < target: extra += "-- (cont.)\n" + head
        r["messages"][1]["content"] = schema + extra + "Question:" + q
        out.append(r)
    return out


def build(tmp, tiny):
    "(base dir, adapter dir, parameters): a random MistralConfig() model + tokenizer + LoRA adapter on local disk."
    from transformers import MistralConfig, MistralForCausalLM, AutoTokenizer
    from peft import LoraConfig, get_peft_model
    base, adapter, t = Path(tmp) / "base", Path(tmp) / "adapter", time.time()
    if tiny:
        src = resolve_model_name("tiny")
        m = MistralForCausalLM.from_pretrained(src)
        AutoTokenizer.from_pretrained(src).save_pretrained(base)
    else:
        from sql_codegen_slm.tokenizer import build_mistral_tokenizer
        build_mistral_tokenizer(base)
        torch.manual_seed(0)
        with torch.device("cuda"): m = MistralForCausalLM._from_config(MistralConfig(), dtype=torch.bfloat16)
    n = sum(p.numel() for p in m.parameters())
    m.save_pretrained(base)
    pm = get_peft_model(m, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=TARGETS,
                                      task_type="CAUSAL_LM"))
    with torch.no_grad():
        for k, p in pm.named_parameters():
            if "lora_B" in k: p.normal_(0, 0.01)
    pm.save_pretrained(adapter)
    ac = json.loads((adapter / "adapter_config.json").read_text())  # a model built from a config has no name: the path
    ac["base_model_name_or_path"] = str(base); (adapter / "adapter_config.json").write_text(json.dumps(ac, indent=1))
    AutoTokenizer.from_pretrained(base).save_pretrained(adapter)
    del m, pm; free()
    log(f"built + saved random model ({n:,} parameters) and adapter in {time.time() - t:.1f} s")
    return base, adapter, n


def free():
    gc.collect()
    if torch.cuda.is_available(): torch.cuda.empty_cache()


def timed(name, model, tok, recs, **kw):
    "One variant: a warm-up batch, then the timed run; figures and the predictions."
    generate_sql(model, tok, recs[:2], batch_size=2, max_new_tokens=4)
    if torch.cuda.is_available(): torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    st = {}
    preds = generate_sql(model, tok, recs, stats=st, **kw)
    if torch.cuda.is_available(): torch.cuda.synchronize()
    st["peak_gib"] = round(torch.cuda.max_memory_allocated() / GiB, 2) if torch.cuda.is_available() else None
    st["variant"] = name
    log(f"{name:<44} {st['n']:>4} q {st['seconds']:>8.2f} s {st['queries_per_s']:>8.2f} q/s "
        f"{st['tokens_per_s']:>9.1f} tok/s  batch {st['batch_size']:>3}  peak {st['peak_gib']} GiB")
    return st, preds


def four_bit(base, adapter, tok, recs, slow, mx, rows, today=True):
    "Today's path and each change on the 4-bit training-style model; returns the callback's row."
    cfg = load_config("smoke", [f"model.name={base}", "model.fused_lora=true"])
    model, _, info = load_model(cfg, adapter=str(adapter))  # today's smoke inference model (4-bit on CUDA)
    log(f"training-style model: {info['quantization']}, fused LoRA layers {info['fused_lora_layers']}")
    if today:
        rows.append(timed("today (4-bit+LoRA, plain, batch 8)", model, tok, slow, fast=False, max_new_tokens=mx)[0])
        model.get_base_model().config.use_cache = False
        rows.append(timed("today, cache off (after packed training)", model, tok, slow[:8], fast=False,
                          max_new_tokens=mx)[0])
        model.get_base_model().config.use_cache = True
        rows.append(timed("4-bit, HF generate + cache+sorted+stop, batch 8", model, tok, slow, batch_size=8,
                          max_new_tokens=mx, decoder="hf")[0])
    rows.append(timed("4-bit, decode_greedy eager, auto batch", model, tok, recs, max_new_tokens=mx,
                      decoder="eager")[0])
    rows.append(timed("4-bit, decode_greedy + CUDA graph, auto batch", model, tok, recs, max_new_tokens=mx)[0])
    cb = timed("callback: 16 questions, 4-bit training model", model, tok, recs[:16], max_new_tokens=mx)[0]
    rows.append(cb)
    del model; free()
    return cb


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=None); p.add_argument("--tiny", action="store_true")
    p.add_argument("--n-slow", type=int, default=16, help="questions for the slow (today's) variants")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--only-merged", action="store_true", help="skip the 4-bit variants (today's path)")
    p.add_argument("--no-today", action="store_true", help="skip the slow plain-path rows (measured before)")
    a = p.parse_args(argv)
    out = Path(a.out or tempfile.mkdtemp()); out.mkdir(parents=True, exist_ok=True)
    if not a.tiny and not torch.cuda.is_available(): raise SystemExit("needs CUDA (or --tiny for a CPU dry run)")
    tmp = tempfile.mkdtemp()
    base, adapter, n_params = build(tmp, a.tiny)
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(adapter)
    recs = realistic_records(tok, 164, 0.25 if a.tiny else 1.0)
    lens = sorted(len(tok(r["messages"][1]["content"])["input_ids"]) for r in recs)
    log(f"prompts: {len(recs)}, user-message tokens median {lens[len(lens) // 2]}, max {lens[-1]}")
    slow, mx, rows = recs[:a.n_slow], a.max_new_tokens, []

    cb = None
    if not a.only_merged:
        cb = four_bit(base, adapter, tok, recs, slow, mx, rows, today=not a.no_today)
    model, tok2, how = load_for_inference(str(adapter), liger=False)  # Liger added below, as its own row
    log(f"inference model: {how}")
    if not a.no_today:
        rows.append(timed("merged bf16 only (plain, batch 8)", model, tok2, slow, fast=False, max_new_tokens=mx)[0])
    rows.append(timed("merged bf16, HF generate + cache+sorted+stop, auto batch", model, tok2, recs,
                      max_new_tokens=mx, decoder="hf")[0])
    rows.append(timed("merged bf16, decode_greedy eager, auto batch", model, tok2, recs, max_new_tokens=mx,
                      decoder="eager")[0])
    fin, preds = timed("final: merged bf16, decode_greedy + CUDA graph", model, tok2, recs, max_new_tokens=mx)
    rows.append(fin)
    half = timed("final, batches of 82 (two batches)", model, tok2, recs, max_new_tokens=mx, batch_size=82)[0]
    rows.append(half)
    if torch.cuda.is_available() and apply_liger(model):  # what load_for_inference does by default
        fin, preds = timed("final + Liger kernels (the default)", model, tok2, recs, max_new_tokens=mx)
        rows.append(fin)
    try:  # where the eager decoder's time goes: the top CUDA kernels of one batch (16 new tokens)
        from torch.profiler import profile, ProfilerActivity
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
        with profile(activities=acts) as prof:
            generate_sql(model, tok2, recs, max_new_tokens=16, decoder="eager")
        key = "self_cuda_time_total" if torch.cuda.is_available() else "self_cpu_time_total"
        table = prof.key_averages().table(sort_by=key, row_limit=15)
        (out / "profile.txt").write_text(table); log(table)
    except Exception as e: log(f"profile failed: {type(e).__name__}: {e}")
    (out / "predictions.jsonl").write_text("".join(json.dumps(dict(sql=s)) + "\n" for s in preds))
    (out / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    if cb is None: cb = dict(seconds=float("nan"))
    step_s = 32768 / 10796  # full preset step (16 rows x 2048) at GPU.md's measured 10,796 tokens/s on this H200
    cost = dict(callback_s=cb["seconds"], eval_steps=200, step_s=round(step_s, 2),
                pct=round(100 * cb["seconds"] / (200 * step_s), 2))
    res = dict(model=f"MistralConfig() random, {n_params:,} params" if not a.tiny else "tiny", inference_model=how,
               device=torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu", rows=rows,
               callback_cost=cost, torch=torch.__version__)
    (out / "results.json").write_text(json.dumps(res, indent=1))
    log("\n| variant | questions | queries/s | new tokens/s | batch | peak GiB |\n|---|---|---|---|---|---|")
    for r in rows:
        log(f"| {r['variant']} | {r['n']} | {r['queries_per_s']} | {r['tokens_per_s']} | {r['batch_size']} | "
            f"{r['peak_gib']} |")
    log(f"\ncallback at its default (16 questions every 200 steps of ~{step_s:.2f} s): {cb['seconds']:.1f} s per "
        f"evaluation = {cost['pct']}% of the training time (generation only; judging 16 queries adds ~0.1 s)")


if __name__ == "__main__": main()
