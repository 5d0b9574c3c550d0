"""Unsloth's QLoRA training throughput and memory on the same random Mistral-7B and workload as train_throughput.py.

    UNSLOTH_DISABLE_STATISTICS=1 HF_HUB_OFFLINE=1 python bench/unsloth_throughput.py --model-dir DIR --out OUT

Run by `bench/train_throughput.py` in its own process (Unsloth patches transformers and peft when imported, so it must
come first and must not leak into our variants). Loads the saved model with `FastLanguageModel` (4-bit NF4, bf16),
LoRA r=16 / alpha 32 / dropout 0.05 on the 7 projections, `use_gradient_checkpointing="unsloth"` (its offloaded
checkpointing); times `--steps` steps of 4 rows x 2048 tokens with fused AdamW (median of steps 3..N), both as padded
rows (`unsloth/padded`; every row is full, so no padding) and packed into one row (`unsloth/packed`, padding-free:
`position_ids` restart per row and `packed_seq_lengths` give the boundaries). Appends one JSON line per row to
OUT/results.jsonl (an `error` row, with the reason in one line, when something fails).
"""
import os
os.environ.setdefault("UNSLOTH_DISABLE_STATISTICS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import argparse, json, shutil, statistics, sys, time, traceback
from pathlib import Path

ROWS = ("unsloth/padded", "unsloth/packed")


def _write(out, row):
    with open(Path(out) / "results.jsonl", "a") as fh: fh.write(json.dumps(row, default=str) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--lora-dropout", type=float, default=0.05)
    a = ap.parse_args(argv)
    done = set()
    try:
        from unsloth import FastLanguageModel  # first: it patches transformers / peft as they are imported
        import torch
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from train_throughput import TARGETS, PEAK_FLOPS, make_rows, pad_batch, real_tokens, log
        from sql_codegen_slm.memory import GiB
        from sql_codegen_slm.model import tiny_model_dir
        d = Path(a.model_dir)
        if not (d / "tokenizer.json").exists():  # Unsloth loads a tokenizer with the model: any small one will do
            for f in ("tokenizer.json", "tokenizer_config.json"): shutil.copy(tiny_model_dir() / f, d / f)
        import unsloth
        t0 = time.time()
        model, _ = FastLanguageModel.from_pretrained(model_name=str(d), max_seq_length=a.seq, dtype=torch.bfloat16,
                                                     load_in_4bit=torch.cuda.is_available())
        model = FastLanguageModel.get_peft_model(model, r=16, lora_alpha=32, lora_dropout=a.lora_dropout,
                                                 target_modules=TARGETS, bias="none",
                                                 use_gradient_checkpointing="unsloth", random_state=0)
        FastLanguageModel.for_training(model)
        dev = "cuda" if torch.cuda.is_available() else "cpu"  # Unsloth trains on CPU too: a dry run of this script
        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        load_s = time.time() - t0
        n_params = int((d / "n_params.txt").read_text())
        vocab = model.config.vocab_size
        for name in ROWS:
            rows = make_rows([a.seq] * (4 * a.steps), vocab, seed=0)
            batches = []
            for i in range(a.steps):
                chunk = rows[4 * i:4 * i + 4]
                if name.endswith("padded"): batches.append(pad_batch(chunk))
                else:  # padding-free: one row, positions restart per row, the lengths given
                    ids = [t for r in chunk for t in r["input_ids"]]
                    lab = [t for r in chunk for t in [-100] + r["labels"][1:]]  # no loss across a row boundary
                    pos = [p for r in chunk for p in range(len(r["input_ids"]))]
                    batches.append(dict(input_ids=torch.tensor([ids]), labels=torch.tensor([lab]),
                                        position_ids=torch.tensor([pos]),
                                        packed_seq_lengths=torch.tensor([len(r["input_ids"]) for r in chunk],
                                                                        dtype=torch.int32)))
            params = [p for p in model.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0, fused=dev == "cuda")
            sync()
            if dev == "cuda": torch.cuda.reset_peak_memory_stats()
            times, losses, toks, totals = [], [], [], []
            for batch in batches:
                b = {k: v.to(dev, non_blocking=True) for k, v in batch.items()}
                sync(); t = time.perf_counter()
                with torch.autocast(dev, dtype=torch.bfloat16, enabled=dev == "cuda"):
                    loss = model(**b).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step(); opt.zero_grad(set_to_none=True)
                sync(); times.append(time.perf_counter() - t)
                losses.append(loss.item()); toks.append(real_tokens(batch)); totals.append(batch["input_ids"].numel())
            w = slice(2, None) if len(times) > 3 else slice(0, None)
            tok_s = statistics.median([tk / t for tk, t in zip(toks[w], times[w])])
            r = dict(name=name, unsloth=True, workload="full" if name.endswith("padded") else "full-packed",
                     ckpt="unsloth (offloaded)", rows=4, tokens_per_step=statistics.mean(totals),
                     real_frac=sum(toks) / sum(totals), real_tok_s=tok_s, step_s=statistics.median(times[w]),
                     mfu=4 * n_params * tok_s / PEAK_FLOPS,
                     peak_alloc_gib=torch.cuda.max_memory_allocated() / GiB if dev == "cuda" else float("nan"),
                     peak_reserved_gib=torch.cuda.max_memory_reserved() / GiB if dev == "cuda" else float("nan"),
                     losses=losses, step_times=times,
                     load_s=load_s, unsloth_version=getattr(unsloth, "__version__", "?"))
            log(f"  {name}: {tok_s:,.0f} real tok/s, step {r['step_s']:.3f}s, peak {r['peak_alloc_gib']:.2f}/"
                f"{r['peak_reserved_gib']:.2f} GiB, losses {[round(x, 3) for x in losses]}")
            _write(a.out, r); done.add(name)
            del opt
            if dev == "cuda": torch.cuda.empty_cache()
    except BaseException as e:  # ImportError (no GPU, a missing package), NotImplementedError, OOM...
        traceback.print_exc()
        why = f"unsloth: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:300]
        for name in ROWS:
            if name not in done: _write(a.out, dict(name=name, error=why))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
