"""The real 4-bit path on a GPU, without the hub: build a random Mistral-7B-shaped model, save it, smoke-test it.

    python scripts/gpu_smoke.py WORK_DIR [--papermill] [--results DIR] [--family mistral|llama|qwen2]
    python scripts/gpu_smoke.py WORK_DIR --dry-run     # CPU: only the tokenizer, config.json and the CPU-side checks

WORK_DIR gets the 14 GB model; --results DIR gets only the reports and logs (e.g. the device tool's $OUT).
--family llama / qwen2: the same with a random Llama-2-7B- / Qwen2.5-7B-shaped model (Qwen2 with the Mistral
tokenizer's 32,000-entry vocabulary instead of its own 152,064), to show the recipe on other 7B families.
On a bare GPU box without a package index, gather what it lacks first with `python scripts/device_wheels.py --papermill`
and install them so that mistral-common stays off the import path (on a box without pydantic, transformers'
AutoTokenizer imports mistral-common whenever it can, and fails); only its SentencePiece file is needed:

    pip install -q --no-index --no-deps --target /tmp/site $(ls .wheels/*.whl | grep -v mistral_common)
    pip install -q --no-index --no-deps --target /tmp/mc .wheels/mistral_common*.whl
    export MISTRAL_SP_MODEL=/tmp/mc/mistral_common/data/tokenizer.model.v1 PYTHONPATH=/tmp/site:$PWD
    python3 scripts/gpu_smoke.py /tmp/gpu --papermill --results $OUT/smoke

1. `MistralConfig()` (Mistral-7B's shapes) with random weights, built in bf16 on the GPU and saved with
   `save_pretrained` to WORK_DIR/mistral-7b-random, beside Mistral-7B-v0.1's real tokenizer (32,000 pieces, as
   `MistralConfig().vocab_size`) built offline by `sql_codegen_slm.tokenizer.build_mistral_tokenizer` from the
   SentencePiece model in mistral-common (the `mistral` extra; device_wheels.py gathers it for a bare box).
2. The parameter report of the `full` preset on it (r=16 on all 7 projections), and a few optimizer steps of that preset
   (packed rows, Liger, fused LoRA, fused AdamW) through the real Trainer.
3. The smoke protocol on it with the `smoke` preset — through papermill and nbs/train.ipynb with --papermill, else
   through `python -m sql_codegen_slm.smoke` (the same function). Losses are meaningless on random weights;
   speed, memory and the mechanics (4-bit load, kill, resume, inference) are real.
"""
import json, subprocess, sys, time
from pathlib import Path
import torch

def save_tokenizer(path: Path) -> dict:
    "Mistral-7B-v0.1's real tokenizer into `path`; checks it fits the config's vocabulary and our prompt format."
    from transformers import MistralConfig
    from sql_codegen_slm.tokenizer import build_mistral_tokenizer
    from sql_codegen_slm.prompts import PromptFormat, boundary_report
    from sql_codegen_slm.model import load_tokenizer
    from sql_codegen_slm.data import read_records
    build_mistral_tokenizer(path)
    tok = load_tokenizer(str(path))
    if len(tok) != MistralConfig().vocab_size:
        raise SystemExit(f"tokenizer has {len(tok)} tokens, the config {MistralConfig().vocab_size}")
    fmt = PromptFormat(tok)
    reps = [boundary_report(fmt, r["messages"]) for r in read_records("sample:val.jsonl")]
    keys = ("split_equals_whole", "ends_turn", "bos_once", "roundtrip")
    bad = [i for i, r in enumerate(reps) if not all(r[k] for k in keys)]
    if bad: raise SystemExit(f"sample:val.jsonl records {bad[:5]}: prompt/answer boundary or round trip broken")
    return dict(vocab=len(tok), pad=tok.pad_token, val_records_checked=len(reps))

def dry_run(out: Path) -> int:
    "CPU only: the tokenizer and Mistral-7B's config.json (no weights) in WORK_DIR/mistral-7b-random; memory estimates."
    from transformers import MistralConfig
    from sql_codegen_slm.config import load_config
    from sql_codegen_slm.memory import estimate_memory
    path = out / "mistral-7b-random"
    path.mkdir(parents=True, exist_ok=True)
    MistralConfig(dtype="bfloat16").save_pretrained(path)
    res = dict(tokenizer=save_tokenizer(path))
    for preset in ("full", "smoke"):
        m = estimate_memory(load_config(preset, [f"model.name={path}"]))
        res[f"{preset}_estimated_peak_gib"] = round(m["peak_allocated_gib"], 2)
    print(json.dumps(res, indent=1))
    return 0

FAMILIES = ("mistral", "llama", "qwen2")

def family_config(family: str):
    "A 7B-shaped config of `family` with the real Mistral-7B tokenizer's 32,000-entry vocabulary."
    from transformers import LlamaConfig, MistralConfig, Qwen2Config
    if family == "mistral": return MistralConfig(dtype="bfloat16")  # Mistral-7B-v0.1's shapes
    if family == "llama": return LlamaConfig(dtype="bfloat16")  # Llama-2-7B's shapes (vocabulary 32,000 too)
    # Qwen2.5-7B's shapes (28 layers, 28 heads / 4 KV heads, q/k/v bias); its own vocabulary is 152,064
    return Qwen2Config(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                       num_key_value_heads=4, vocab_size=32000, max_position_embeddings=32768, rope_theta=1e6,
                       tie_word_embeddings=False, dtype="bfloat16")

def build(path: Path, family: str = "mistral") -> dict:
    from transformers import AutoModelForCausalLM
    t0 = time.time()
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(family_config(family)).to(torch.bfloat16)
    n = sum(p.numel() for p in model.parameters())
    model.save_pretrained(path)
    del model; torch.cuda.empty_cache()
    return dict(params=n, **save_tokenizer(path), build_and_save_s=round(time.time() - t0, 1))

def full_preset_steps(path: Path, out: Path, extra: list, steps: int = 12) -> dict:
    "A few optimizer steps of the `full` preset (packed rows, Liger, fused LoRA, fused AdamW) through the real Trainer."
    from sql_codegen_slm.config import load_config
    from sql_codegen_slm.train import build_trainer
    try:
        cfg = load_config("full", [f"model.name={path}", f"training.output_dir={out}", f"training.max_steps={steps}", "training.eval_strategy=no",
                                   "training.save_strategy=no", "logging.remote_dir=null", "logging.logging_steps=1", *extra])
        torch.cuda.reset_peak_memory_stats()
        trainer, info = build_trainer(cfg, include_num_input_tokens_seen=True)
        r = trainer.train()
        tokens = trainer.state.num_input_tokens_seen
        logs = [h for h in trainer.state.log_history if "loss" in h]
        return dict(steps=trainer.state.global_step, tokens=tokens, runtime_s=round(r.metrics["train_runtime"], 2),
                    tokens_per_s_incl_warmup=round(tokens / r.metrics["train_runtime"]), first_loss=logs[0]["loss"], last_loss=logs[-1]["loss"],
                    peak_allocated_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2), liger=bool(trainer.args.use_liger_kernel),
                    fused_lora_layers=info["model"]["fused_lora_layers"], grouped_lora=info["model"]["grouped_lora"],
                    checkpointing=info["model"]["activation_checkpointing"], attn=trainer.model.get_base_model().config._attn_implementation)
    except Exception as e:
        import traceback; traceback.print_exc()
        return dict(error=f"{type(e).__name__}: {e}")

def main(out: Path, use_papermill: bool, family: str = "mistral"):
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{family}-7b-random"
    res = dict(gpu=torch.cuda.get_device_name(0), family=family, model=build(path, family))
    print(json.dumps(res), flush=True)
    from sql_codegen_slm.config import load_config
    from sql_codegen_slm.model import load_model
    for preset in ("full", "smoke"):
        t0 = time.time()
        m, _, info = load_model(load_config(preset, [f"model.name={path}"]))
        res[f"{preset}_model_init"] = info | dict(load_s=round(time.time() - t0, 1), footprint_gib=round(m.get_memory_footprint() / 2**30, 2))
        del m; torch.cuda.empty_cache()
        print(json.dumps(res[f"{preset}_model_init"]), flush=True)
    val = Path(__file__).resolve().parent.parent / "sql_codegen_slm" / "sample_data" / "val.jsonl"
    import importlib.util
    extra = [] if importlib.util.find_spec("tensorboard") else ["logging.report_to=[]"]  # a bare GPU box may lack it
    if extra: print("tensorboard not installed here: smoke runs with logging.report_to=[]", flush=True)
    res["full_preset_trainer"] = full_preset_steps(path, out / "full-steps", extra)
    print(json.dumps(res["full_preset_trainer"]), flush=True)
    run = out / "smoke"
    t0 = time.time()
    if use_papermill:
        cmd = [sys.executable, "-m", "papermill", "nbs/train.ipynb", str(out / "smoke.ipynb"), "-p", "mode", "smoke", "-p", "model", str(path), "-p", "output_dir", str(run),
               "-p", "val_file", str(val)] + [a for o in extra for a in ("-p", "overrides", o)]
    else:
        cmd = [sys.executable, "-m", "sql_codegen_slm.smoke", "--output_dir", str(run), "--set", f"model.name={path}", "--set", f"data.val_file={val}"] + [a for o in extra for a in ("--set", o)]
    rc = subprocess.run(cmd).returncode
    res["smoke_rc"], res["smoke_wall_s"] = rc, round(time.time() - t0, 1)
    res["report"] = json.loads((run / "report.json").read_text()) if (run / "report.json").exists() else None
    (out / "gpu_smoke.json").write_text(json.dumps(res, indent=1))
    print((run / "report.md").read_text() if (run / "report.md").exists() else "no report")
    print(json.dumps({k: v for k, v in res.items() if k != "report"}, indent=1))
    return rc

def copy_results(out: Path, dest: Path):
    import shutil
    dest.mkdir(parents=True, exist_ok=True)
    for f in [out / "gpu_smoke.json", out / "smoke.ipynb", *sorted((out / "smoke").glob("*.json")), *sorted((out / "smoke").glob("*.md")),
              *sorted((out / "smoke").glob("*.log")), *sorted((out / "smoke").glob("*.png"))]:
        if f.is_file(): shutil.copy(f, dest / f.name)

if __name__ == "__main__":
    a = sys.argv[1:]
    rc = 1
    if "--dry-run" in a: sys.exit(dry_run(Path(a[0])))
    fam = a[a.index("--family") + 1] if "--family" in a else "mistral"
    if fam not in FAMILIES: sys.exit(f"--family {fam!r}: one of {', '.join(FAMILIES)}")
    try: rc = main(Path(a[0]), "--papermill" in a, fam)
    finally:
        if "--results" in a: copy_results(Path(a[0]), Path(a[a.index("--results") + 1]))
    sys.exit(rc)
