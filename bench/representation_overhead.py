"""Cost of representation extraction on a random Mistral-7B-shaped model: % of training time and bytes per step.

Builds a random `MistralConfig()` model in bf16 and saves it with the real Mistral-7B tokenizer (from mistral-common;
with `--tiny`, or without mistral-common, the embedded tiny model's tokenizer), then trains it with the project's own
recipe — `build_trainer` on the `full` preset (4-bit NF4, LoRA r=16 on all 7 projections, padding-free rows,
Liger, fused LoRA, gradient checkpointing) on the sample data — for `--steps` optimizer steps, timing each step.
Then it times `RepresentationCallback`'s extraction at the preset's probe size (`--repeats` times, median) and reports

    overhead % = extraction time / (interval x median step time) x 100         (goal: <= 2 %)
    bytes per extracted step = size of one step_NNNNNN/ folder                 (and per training step: / interval)

at the preset's interval `logging.extract_representations_every_steps`, or `--every` / `--probes` given.

    PYTHONPATH=. python bench/representation_overhead.py --out $OUT      # on the GPU (the integrator runs it)
    PYTHONPATH=. python bench/representation_overhead.py --tiny          # CPU dry run of every code path

Prints a table and writes results.json / results.md under --out.
"""
import argparse, json, os, shutil, statistics, sys, tempfile, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from transformers import TrainerCallback  # noqa: E402
from sql_codegen_slm.config import load_config  # noqa: E402
from sql_codegen_slm.model import tiny_model_dir  # noqa: E402
from sql_codegen_slm.representations import REP_DIR, RepresentationCallback  # noqa: E402
from sql_codegen_slm.train import build_trainer  # noqa: E402


def log(*a): print(*a, flush=True)


def build(path: Path, tiny: bool) -> str:
    "A random Mistral-7B-shaped model (tiny: 2 small layers) with a tokenizer, saved to `path`; returns the tokenizer."
    from transformers import MistralConfig, MistralForCausalLM
    cfg = (MistralConfig(vocab_size=32000, hidden_size=256, intermediate_size=768, num_hidden_layers=2,
                         num_attention_heads=8, num_key_value_heads=2) if tiny else MistralConfig())
    t0 = time.time()
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        m = MistralForCausalLM._from_config(cfg, dtype=torch.bfloat16)
    m.save_pretrained(path)
    del m
    if torch.cuda.is_available(): torch.cuda.empty_cache()
    try:
        if tiny: raise ImportError("--tiny")
        from sql_codegen_slm.tokenizer import build_mistral_tokenizer
        build_mistral_tokenizer(path); which = "Mistral-7B (mistral-common)"
    except ImportError as e:
        for f in ("tokenizer.json", "tokenizer_config.json"): shutil.copy(tiny_model_dir() / f, path / f)
        which = f"tiny's ({e})"
    log(f"built random model ({'tiny' if tiny else 'MistralConfig()'}) in {time.time() - t0:.0f} s -> {path}; "
        f"tokenizer: {which}")
    return which


class StepTimer(TrainerCallback):
    "Wall time of each optimizer step (CUDA synchronised)."
    def __init__(self): self.ends = []
    def on_step_begin(self, args, state, control, **kw):
        if not self.ends: self._sync(); self.ends.append(time.perf_counter())
    def on_step_end(self, args, state, control, **kw): self._sync(); self.ends.append(time.perf_counter())
    @staticmethod
    def _sync():
        if torch.cuda.is_available(): torch.cuda.synchronize()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.environ.get("OUT", "runs/bench_representations"))
    ap.add_argument("--model-dir", default=None, help="reuse a model built before (with its tokenizer)")
    ap.add_argument("--steps", type=int, default=12, help="training steps timed (the first 2 are warm-up)")
    ap.add_argument("--repeats", type=int, default=3, help="extractions timed (median)")
    ap.add_argument("--every", type=int, default=None, help="interval (default: the full preset's)")
    ap.add_argument("--probes", type=int, default=None, help="probe size (default: the full preset's)")
    ap.add_argument("--tiny", action="store_true", help="small config (CPU dry run of every code path)")
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    model_dir = Path(a.model_dir or tempfile.mkdtemp(prefix="mistral7b_rand_"))
    which = build(model_dir, a.tiny) if not (model_dir / "config.json").is_file() else "reused"
    ov = [f"model.name={model_dir}", f"training.output_dir={out / 'run'}", f"training.max_steps={a.steps}",
          "training.save_strategy=no", "training.eval_strategy=no", "logging.report_to=[]",
          "logging.extract_representations_every_steps=null"]
    if a.tiny or not torch.cuda.is_available():
        ov += ["training.optim=adamw_torch", "training.use_liger_kernel=false",
               "training.per_device_train_batch_size=4"]
    full = load_config("full")
    every = a.every or full.logging.extract_representations_every_steps
    probes = a.probes or full.logging.representation_probe_size
    cfg = load_config("full", ov + [f"logging.representation_probe_size={probes}"])
    timer = StepTimer()
    trainer, info = build_trainer(cfg, callbacks=[timer])
    shutil.rmtree(out / "run", ignore_errors=True)
    trainer.train()
    steps = [b - a_ for a_, b in zip(timer.ends, timer.ends[1:])][2:] or [timer.ends[-1] - timer.ends[0]]
    step_s = statistics.median(steps)
    # the extraction exactly as the callback does it, on the trained model (adapter on)
    cb = RepresentationCallback(cfg)
    cb.root = Path(tempfile.mkdtemp(prefix="reps_")) / REP_DIR
    ex = []
    for i in range(a.repeats):
        t0 = time.perf_counter(); cb._write(trainer.args, 1000 + i, trainer.model, trainer.processing_class)
        StepTimer._sync(); ex.append(time.perf_counter() - t0)
    ex_s = statistics.median(ex)
    d = cb.root / "step_001000"
    nbytes = sum(p.stat().st_size for p in d.iterdir())
    meta = json.loads((d / "metadata.json").read_text())
    tok_lens = [len(trainer.processing_class(p["text"], add_special_tokens=False)["input_ids"]) for p in cb.probes]
    peak = torch.cuda.max_memory_allocated() / 2 ** 30 if torch.cuda.is_available() else None
    r = dict(model="tiny MistralConfig" if a.tiny else "MistralConfig() (Mistral-7B shapes, random)", tokenizer=which,
             device=torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
             quantization=info["model"]["quantization"], train_steps_timed=len(steps), step_s=round(step_s, 4),
             every=every, probes=len(cb.probes), probe_tokens_median=statistics.median(tok_lens),
             layers=meta["n_layers"], pooling=meta["pooling"], dtype=meta["dtype"], extract_s=round(ex_s, 4),
             extract_runs_s=[round(x, 4) for x in ex], overhead_pct=round(100 * ex_s / (every * step_s), 3),
             bytes_per_extracted_step=nbytes, bytes_per_training_step=round(nbytes / every, 1),
             peak_allocated_gib=None if peak is None else round(peak, 2))
    rows = [("model", r["model"]), ("device", r["device"]), ("quantization", r["quantization"]),
            ("training step (median)", f"{step_s:.3f} s over {len(steps)} steps"),
            ("probes x median tokens", f"{r['probes']} x {r['probe_tokens_median']:.0f}"),
            ("layers x pooling x dtype", f"{r['layers']} x {'+'.join(r['pooling'])} x {r['dtype']}"),
            ("extraction (median)", f"{ex_s:.3f} s ({', '.join(f'{x:.3f}' for x in ex)})"),
            (f"overhead at every {every} steps", f"{r['overhead_pct']:.3f} % of training time (goal <= 2 %)"),
            ("bytes per extracted step", f"{nbytes:,} ({nbytes / 2 ** 20:.2f} MiB)"),
            ("bytes per training step", f"{nbytes / every:,.0f}")]
    table = "| quantity | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    (out / "results.json").write_text(json.dumps(r, indent=1))
    (out / "results.md").write_text(table + "\n")
    log("\n" + table)
    return r


if __name__ == "__main__":
    main()
