"""QLoRA training throughput and memory on a random Mistral-7B-shaped model (one device command).

Builds a random `MistralConfig()` model in bf16, saves it to local disk, then for each variant loads it in 4-bit NF4
(double quant, bf16 compute) + LoRA r=16 / alpha 32 / dropout 0.05 on all 7 projections, activation checkpointing as
the variant says (`ckpt`: all, none, a fraction, offload or auto, through `sql_codegen_slm.model`'s dial; auto resolved
by the memory estimate against the free memory, or against `mem_limit` bytes set as the process's memory fraction),
and times `--steps` optimizer steps (median of steps 3..N, `torch.cuda.synchronize()` around each). The step is what
the HF Trainer does with `bf16=True`: autocast(bf16) forward, backward, clip grad-norm 1.0, optimizer step, zero grads.
Then Unsloth's rows (bench/unsloth_throughput.py, its own process) when unsloth is importable or `--unsloth` is given.

    PYTHONPATH=. python bench/train_throughput.py --out $OUT            # on the GPU
    PYTHONPATH=. python bench/train_throughput.py --tiny --steps 3 --seq 256 --no-liger --only ckpt   # CPU dry run

Prints a table (checkpointing, real tokens/s, fraction of real tokens, step time, MFU, peak allocated / reserved GiB,
the memory estimate and its error, the fixed-batch loss, the largest step-loss difference from full/lean-packed) and
writes results.json / results.md (after every variant) and the log under --out.
"""
import argparse, gc, json, math, os, re, statistics, subprocess, sys, tempfile, time, traceback
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sql_codegen_slm.packing import packed_collator, enable_packed_attention  # noqa: E402
from sql_codegen_slm.fast_paths import (prepare_kbit_model, apply_liger, fuse_lora_forward,  # noqa: E402
                                        set_activation_checkpointing)
from sql_codegen_slm.memory import (GiB, estimate_memory, checkpointing_peaks, choose_checkpointing,  # noqa: E402
                                    device_free_gib)

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PEAK_FLOPS = 989e12  # H100 SXM dense bf16


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- data
def realistic_lengths(n, seed=0, median=550, p90=1200, lo=64, hi=1500):
    "Prompt+answer lengths: lognormal with the given median and p90, clipped to [lo, hi] (seeded)."
    g = torch.Generator().manual_seed(seed)
    sigma = math.log(p90 / median) / 1.2815516
    x = torch.exp(math.log(median) + sigma * torch.randn(n, generator=g))
    return x.clamp(lo, hi).round().long().tolist()


def make_rows(lengths, vocab, seed=0, answer_median=50):
    "Token rows with labels -100 on the prompt and the real ids on the answer (the last ~50 tokens)."
    g = torch.Generator().manual_seed(seed + 1)
    rows = []
    for n in lengths:
        ids = torch.randint(3, vocab, (n,), generator=g).tolist()
        a = max(1, min(n // 2, int(answer_median * math.exp(0.5 * torch.randn(1, generator=g).item()))))
        rows.append(dict(input_ids=ids, attention_mask=[1] * n, labels=[-100] * (n - a) + ids[n - a:]))
    return rows


def pad_batch(rows, length=None, pad_id=0):
    "Plain padded batch (what DataCollatorForSeq2Seq does): right padding to `length` or to the longest row."
    L = length or max(len(r["input_ids"]) for r in rows)
    p = lambda x, v: x + [v] * (L - len(x))
    return {k: torch.tensor([p(r[k], v) for r in rows]) for k, v in
            (("input_ids", pad_id), ("attention_mask", 0), ("labels", -100))}


def budget_groups(rows, budget):
    "Greedy consecutive groups of rows whose total length stays within `budget` tokens."
    groups, cur, n = [], [], 0
    for r in rows:
        if cur and n + len(r["input_ids"]) > budget:
            groups.append(cur); cur, n = [], 0
        cur.append(r); n += len(r["input_ids"])
    if cur: groups.append(cur)
    return groups


def workload(name, steps, vocab, seq=2048, rows_per_step=4, budget=8192, seed=0):
    "List of collated batches for one workload; each batch also says how many real tokens it has."
    if name in ("full", "full-packed"):  # every row a full `seq` tokens
        rows = make_rows([seq] * (rows_per_step * steps), vocab, seed)
        col = packed_collator() if name == "full-packed" else pad_batch
        return [col(rows[i * rows_per_step:(i + 1) * rows_per_step]) for i in range(steps)]
    mode, _, arg = name.partition(":")
    k = seq / 2048  # --seq scales the length distribution (CPU dry runs)
    rows = make_rows(realistic_lengths(4000, seed, 550 * k, 1200 * k, 64 * k, 1500 * k), vocab, seed)
    if mode == "pad2048":
        groups = [rows[i * rows_per_step:(i + 1) * rows_per_step] for i in range(steps)]
        return [pad_batch(g, seq) for g in groups]
    if mode == "longest":
        groups = [rows[i * rows_per_step:(i + 1) * rows_per_step] for i in range(steps)]
        return [pad_batch(g) for g in groups]
    if mode == "packed":
        groups = ([rows[i * rows_per_step:(i + 1) * rows_per_step] for i in range(steps)] if arg == "rows"
                  else budget_groups(rows, int(int(arg or budget) * k))[:steps])
        col = packed_collator()
        return [col(g) for g in groups]
    raise ValueError(name)


def fixed_rows(vocab, seq=2048):
    "The fixed batch whose loss every variant must reproduce (4 realistic rows)."
    k = seq / 2048
    return make_rows(realistic_lengths(4, 123, 550 * k, 1200 * k, 64 * k, 1500 * k), vocab, seed=123)


def real_tokens(batch):
    return int(batch["attention_mask"].sum()) if "attention_mask" in batch else int(batch["input_ids"].numel())


# ---------------------------------------------------------------- model
def build_model(cfg, path, device):
    from transformers import MistralForCausalLM
    t = time.time()
    torch.manual_seed(0)
    with torch.device(device):
        m = MistralForCausalLM._from_config(cfg, dtype=torch.bfloat16)
    n = sum(p.numel() for p in m.parameters())
    m.save_pretrained(path)
    del m; gc.collect()
    if device == "cuda": torch.cuda.empty_cache()
    log(f"built + saved random model: {n:,} parameters in {time.time() - t:.1f}s -> {path}")
    return n


def load_variant(path, v, device):
    "4-bit NF4 double-quant model + LoRA prepared the way variant `v` says."
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    cdt = torch.float32 if v.get("ref") else torch.bfloat16
    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                           bnb_4bit_compute_dtype=cdt)
    model = AutoModelForCausalLM.from_pretrained(path, quantization_config=q, dtype=cdt, attn_implementation="sdpa",
                                                 device_map={"": 0} if device == "cuda" else None)
    if v.get("ref"): return model
    if v.get("liger"): assert apply_liger(model), "liger-kernel not applied"
    gck = {"use_reentrant": v.get("reentrant", False)}
    if v.get("upcast", False):  # the seed recipe: peft casts every non-4-bit weight (norms, embeddings, lm_head) to fp32
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True, gradient_checkpointing_kwargs=gck)
    else:  # same, minus the fp32 upcast: the residual stream stays bf16; checkpointing by the project's dial
        prepare_kbit_model(model, False)
        v["checkpointed_layers"] = set_activation_checkpointing(model, v.get("ckpt", "all"), gck["use_reentrant"])
    lc = LoraConfig(r=16, lora_alpha=32, lora_dropout=v.get("lora_dropout", 0.05), target_modules=TARGETS,
                    bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, lc)
    if v.get("fuse_lora"):
        n = fuse_lora_forward(model, v.get("grouped", False))
        assert n == 7 * model.get_base_model().config.num_hidden_layers
    if v.get("attn") == "varlen": enable_packed_attention(model)
    model.get_base_model().config.use_cache = False
    return model


def make_optimizer(model, name):
    params = [p for p in model.parameters() if p.requires_grad]
    if name == "paged_adamw_32bit":
        import bitsandbytes as bnb
        return bnb.optim.PagedAdamW32bit(params, lr=2e-4, weight_decay=0.0)
    if name == "adamw_torch_fused":
        return torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0, fused=True)
    return torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)


def to_dev(batch, device):
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def sync(device):
    if device == "cuda": torch.cuda.synchronize()


def fixed_loss(model, mode, vocab, device, seq=2048):
    "Loss of the fixed batch, collated the variant's way (LoRA B=0: equal to the base model for every variant)."
    rows = fixed_rows(vocab, seq)
    b = (packed_collator()(rows) if "packed" in mode else pad_batch(rows, seq if mode == "pad2048" else None))
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=mode != "ref"):
        return model(**to_dev(b, device)).loss.float().item()


def _gpu_busy(prof) -> float:
    "Seconds during which at least one kernel ran (union of kernel intervals) in the profiled step."
    try:
        iv = sorted((e.time_range.start, e.time_range.end) for e in prof.events()
                    if e.device_type == torch.autograd.DeviceType.CUDA)
    except Exception: return float("nan")
    busy, cur_s, cur_e = 0., None, None
    for a, b in iv:
        if cur_e is None or a > cur_e:
            if cur_e is not None: busy += cur_e - cur_s
            cur_s, cur_e = a, b
        else: cur_e = max(cur_e, b)
    if cur_e is not None: busy += cur_e - cur_s
    return busy / 1e6


class host_syncs(list):
    "Where the step made the host wait for the GPU (torch's sync debug mode: warnings, each one's source line)."
    def __init__(self, on): super().__init__(); self.on = on
    def __enter__(self):
        if self.on:
            import warnings
            self.w = warnings.catch_warnings(record=True); self.rec = self.w.__enter__(); warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
        return self
    def __exit__(self, *exc):
        if self.on:
            torch.cuda.set_sync_debug_mode("default"); self.w.__exit__(*exc)
            self.extend(f"{Path(w.filename).name}:{w.lineno}" for w in self.rec if "synchroniz" in str(w.message))


def _est_kw(v, tokens):
    "The memory estimate's settings for variant `v` at `tokens` tokens a step."
    return dict(tokens=tokens, upcast_fp32=v.get("upcast", False), liger=v.get("liger", False), lora_r=16,
                optimizer=v.get("optim", "paged_adamw_32bit"), lora_dropout=v.get("lora_dropout", 0.05),
                reentrant=v.get("reentrant", False), grouped_lora=v.get("grouped", False))


def resolve_ckpt(v, cfg, device):
    "Variant `v` with `ckpt: auto` resolved as load_model does: the fastest setting that fits the free memory."
    if v.get("mem_limit") and device == "cuda":  # e.g. an A100-40GB's 40 GB on the H200
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.set_per_process_memory_fraction(min(1.0, v["mem_limit"] / total))
    if v.get("ckpt") != "auto": return v
    free = device_free_gib() if device == "cuda" else None
    if v.get("mem_limit"): free = min(free or math.inf, v["mem_limit"] / GiB)  # the estimate is told the limit too
    tokens = v.get("rows", 4) * v.get("seq", 2048)
    v["ckpt"], v["ckpt_why"] = choose_checkpointing(checkpointing_peaks(cfg, **_est_kw(v, tokens)), free)
    log(f"  activation checkpointing: {v['ckpt_why']}")
    return v


def run_variant(path, v, cfg, n_params, device, steps, profile_dir=None):
    v = resolve_ckpt(v, cfg, device)
    t0 = time.time()
    model = load_variant(path, v, device)
    load_s = time.time() - t0
    mem_loaded = torch.cuda.memory_allocated() / GiB if device == "cuda" else 0.
    if v.get("ref"):  # fp32-compute reference of the fixed-batch loss (no training)
        floss = fixed_loss(model, "ref", cfg.vocab_size, device, v.get("seq", 2048))
        log(f"  {v['name']}: fixed loss {floss:.5f} (fp32 compute, padded to longest, sdpa)")
        return dict(name=v["name"], workload="-", variant={k: x for k, x in v.items() if k != "name"}, fixed_loss=floss,
                    ref=True)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    opt = make_optimizer(model, v.get("optim", "paged_adamw_32bit"))
    batches = workload(v["workload"], steps, cfg.vocab_size, seq=v.get("seq", 2048), rows_per_step=v.get("rows", 4))
    model.train()
    floss = fixed_loss(model, v["workload"], cfg.vocab_size, device, v.get("seq", 2048))
    if device == "cuda": torch.cuda.reset_peak_memory_stats()
    params = [p for p in model.parameters() if p.requires_grad]
    times, losses, toks, totals, phase = [], [], [], [], {"fwd": 0., "bwd": 0., "opt": 0.}
    prof = None
    resv = [0.]
    def mark(key):
        if device == "cuda":
            phase[key] = max(phase[key], torch.cuda.max_memory_allocated() / GiB)
            resv[0] = max(resv[0], torch.cuda.max_memory_reserved() / GiB); torch.cuda.reset_peak_memory_stats()
    for i, batch in enumerate(batches):
        if profile_dir and i == len(batches) - 1:
            from torch.profiler import profile, ProfilerActivity
            prof = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]); prof.__enter__()
        b = to_dev(batch, device)
        sync(device); t = time.perf_counter()
        mark("opt")  # (the copy to the device counts with the optimizer phase)
        with host_syncs(prof is not None and device == "cuda") as syncs:
            with torch.autocast(device, dtype=torch.bfloat16):
                loss = model(**b).loss
            mark("fwd")
            loss.backward()
            mark("bwd")
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(); opt.zero_grad(set_to_none=True)
        sync(device); times.append(time.perf_counter() - t)
        mark("opt")
        losses.append(loss.item()); toks.append(real_tokens(batch)); totals.append(int(batch["input_ids"].numel()))
    if prof is not None:
        prof.__exit__(None, None, None)
        tbl = prof.key_averages().table(sort_by="self_cuda_time_total" if device == "cuda" else "self_cpu_time_total",
                                        row_limit=45)
        busy = _gpu_busy(prof) if device == "cuda" else 0.
        (Path(profile_dir) / ("profile_" + re.sub(r"[^A-Za-z0-9_-]+", "_", v["name"]) + ".txt")).write_text(
            f"step wall {times[-1]:.3f}s, summed kernel time {busy:.3f}s\n{tbl}")
        log(f"  profile: step {times[-1]:.3f}s, GPU busy {busy:.3f}s, host syncs in the step: {len(syncs)} "
            f"{sorted(set(syncs))[:5]}\n" + "\n".join(tbl.splitlines()[:25]))
    w = slice(2, None) if len(times) > 3 else slice(0, None)
    rates = [tk / t for tk, t in zip(toks[w], times[w])]
    tok_s = statistics.median(rates)
    peak = max(phase.values()) if device == "cuda" else float("nan")
    resv = resv[0] if device == "cuda" else float("nan")
    est = estimate_memory(cfg, **_est_kw(v, max(totals)), activation_checkpointing=v.get("ckpt", "all"),
                          seq_len=max(totals) if v["workload"].startswith("packed") else None)
    r = dict(name=v["name"], workload=v["workload"], variant={k: x for k, x in v.items() if k != "name"},
             rows=sum(len(b["cu_seq_lens_q"]) - 1 if "cu_seq_lens_q" in b else b["input_ids"].shape[0] for b in batches) / len(batches),
             tokens_per_step=statistics.mean(totals), max_tokens=max(totals), real_frac=sum(toks) / sum(totals),
             real_tok_s=tok_s, step_s=statistics.median(times[w]), mfu=4 * n_params * tok_s / PEAK_FLOPS,
             peak_alloc_gib=peak, peak_reserved_gib=resv, phase_peaks_gib=phase, mem_loaded_gib=mem_loaded,
             est_gib=est["peak_allocated_gib"], est=est, est_err_pct=100 * (est["peak_allocated_gib"] - peak) / peak,
             ckpt=v.get("ckpt", "all"), checkpointed_layers=v.get("checkpointed_layers"), ckpt_why=v.get("ckpt_why"),
             fixed_loss=floss, losses=losses, step_times=times, step_tokens=totals, trainable=trainable, load_s=load_s,
             host_syncs=len(syncs) if prof is not None and device == "cuda" else None)
    log(f"  {v['name']}: {tok_s:,.0f} real tok/s, step {r['step_s']:.3f}s, real {r['real_frac']:.1%}, "
        f"checkpointing {r['ckpt']} ({r['checkpointed_layers']} layers recomputed), "
        f"peak {peak:.2f}/{resv:.2f} GiB (est {r['est_gib']:.2f}, {r['est_err_pct']:+.1f}%), phases {phase}, "
        f"fixed loss {floss:.5f}, trainable {trainable:,}")
    return r


# ---------------------------------------------------------------- variants
BASE = dict(upcast=True, reentrant=True, attn="sdpa", optim="paged_adamw_32bit")  # the plain HF / seed recipe
LEAN = dict(upcast=False, reentrant=False, liger=True, fuse_lora=True, attn="varlen", optim="adamw_torch_fused")

VARIANTS = [  # most important first (a cut-off run still has them)
    dict(name="full/lean-packed", workload="full-packed", **LEAN),  # every layer checkpointed: the loss reference
    # activation checkpointing as a dial (issue 19): through sql_codegen_slm.fast_paths.set_activation_checkpointing
    # grouped LoRA (run 6): q/k/v and gate/up share one dropout mask and one A matmul (fast_paths.fuse_lora_forward)
    dict(name="full/lean-packed-grouped", workload="full-packed", grouped=True, **LEAN),
    dict(name="full/lean-packed-grouped-ckpt-auto", workload="full-packed", ckpt="auto", grouped=True, **LEAN),
    dict(name="full/lean-packed-grouped-ckpt-auto-40GB", workload="full-packed", ckpt="auto", mem_limit=40e9,
         grouped=True, **LEAN),
    dict(name="full/lean-packed-grouped-ckpt-offload", workload="full-packed", ckpt="offload", grouped=True, **LEAN),
    dict(name="full/lean-packed-ckpt-offload", workload="full-packed", ckpt="offload", **LEAN),
    dict(name="full/lean-packed-ckpt-auto", workload="full-packed", ckpt="auto", **LEAN),
    dict(name="full/lean-packed-ckpt-auto-40GB", workload="full-packed", ckpt="auto", mem_limit=40e9, **LEAN),
    dict(name="full/lean-packed-ckpt-none", workload="full-packed", ckpt="none", **LEAN),
    dict(name="full/lean-packed-ckpt-0.5", workload="full-packed", ckpt=0.5, **LEAN),
    dict(name="full/baseline", workload="full", **BASE),  # 6,140 tok/s, 12.44 GiB on the H200 (issue 19); --only
    dict(name="real/pad2048-baseline", workload="pad2048", **BASE),
    dict(name="real/packed8192-lean", workload="packed:8192", **LEAN),
    dict(name="full/lean-sdpa", workload="full", **{**LEAN, "attn": "sdpa"}),
    dict(name="full/lean-sdpa-paged-unfused", workload="full", **{**LEAN, "attn": "sdpa", "fuse_lora": False, "optim": "paged_adamw_32bit"}),
    dict(name="real/pad2048-lean", workload="pad2048", **{**LEAN, "attn": "sdpa"}),
    dict(name="real/longest-lean", workload="longest", **{**LEAN, "attn": "sdpa"}),
    dict(name="real/packed4rows-lean", workload="packed:rows", **LEAN),
    dict(name="ref/fp32-compute", workload="ref", ref=True),
    dict(name="full/lean-packed-no-dropout", workload="full-packed", **{**LEAN, "lora_dropout": 0.0}),
    # the `full` preset as shipped: 16 rows in one packed micro-batch (batch 16 x accum 1)
    dict(name="full/lean-packed-16rows", workload="full-packed", rows=16, **LEAN),
    dict(name="real/packed16rows-lean", workload="packed:rows", rows=16, **LEAN),
    # run 1 ablations (bench/RESULTS.md), kept runnable with --only
    dict(name="full/+liger", workload="full", **{**BASE, "liger": True}),
    dict(name="full/bf16-norms", workload="full", **{**BASE, "upcast": False}),
    dict(name="full/bf16+liger", workload="full", **{**BASE, "upcast": False, "liger": True}),
    dict(name="full/bf16+liger+nonreentrant", workload="full", **{**BASE, "upcast": False, "liger": True, "reentrant": False}),
    dict(name="full/lean-batch8", workload="full-packed", rows=8, **LEAN),
]
DEFAULT = VARIANTS[:7]  # ~40 s each on the H200 (start, 4-bit load, 10 steps), then Unsloth's; the rest with --only


def table(results):
    head = ("| variant | checkpointing | rows/step | tokens/step | real % | real tok/s | step s | MFU | "
            "peak alloc GiB | peak reserved GiB | estimate GiB | est. err | fixed-batch loss | Δ loss vs fp32 | "
            "max Δ step loss vs lean-packed |")
    lines = [head, "|" + "---|" * 15]
    ref = next((r["fixed_loss"] for r in results if r.get("ref")), None)
    lean = next((r["losses"] for r in results if r["name"] == "full/lean-packed" and "losses" in r), None)
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | error: {r['error'][:160]} |" + " |" * 13); continue
        if r.get("unsloth"):
            lines.append(f"| {r['name']} | {r['ckpt']} | {r['rows']:.1f} | {r['tokens_per_step']:,.0f} | "
                         f"{100 * r['real_frac']:.1f} | {r['real_tok_s']:,.0f} | {r['step_s']:.3f} | "
                         f"{100 * r['mfu']:.1f}% | {r['peak_alloc_gib']:.2f} | {r['peak_reserved_gib']:.2f} |"
                         + " |" * 5)
            continue
        d = f"{100 * (r['fixed_loss'] - ref) / ref:+.3f}%" if ref else "-"
        if r.get("ref"):
            lines.append(f"| {r['name']} (loss only) |" + " |" * 11 + f" {r['fixed_loss']:.4f} | {d} | |"); continue
        same = lean is not None and r["workload"] == "full-packed" and len(r["losses"]) == len(lean)
        dl = f"{max(abs(a - b) for a, b in zip(r['losses'], lean)):.4f}" if same else "-"
        ck = r.get("ckpt", "all")
        ck = f"{ck:.3g} ({r['checkpointed_layers']} layers)" if isinstance(ck, float) else ck
        lines.append(f"| {r['name']} | {ck} | {r['rows']:.1f} | {r['tokens_per_step']:,.0f} | "
                     f"{100 * r['real_frac']:.1f} | {r['real_tok_s']:,.0f} | {r['step_s']:.3f} | {100 * r['mfu']:.1f}% | "
                     f"{r['peak_alloc_gib']:.2f} | "
                     f"{r['peak_reserved_gib']:.2f} | {r['est_gib']:.2f} | {r['est_err_pct']:+.1f}% | "
                     f"{r['fixed_loss']:.4f} | {d} | {dl} |")
    why = [f"- {r['name']}: activation checkpointing {r['ckpt_why']}" for r in results if r.get("ckpt_why")]
    return "\n".join(lines + ([""] + why if why else []))


def _env(device):
    import transformers, peft
    env = dict(torch=torch.__version__, transformers=transformers.__version__, peft=peft.__version__, device=device,
               gpu=torch.cuda.get_device_name() if device == "cuda" else None, date=time.strftime("%Y-%m-%d"))
    for mod, key in (("bitsandbytes", "bitsandbytes"), ("liger_kernel", "liger_kernel")):
        try:
            import importlib, importlib.metadata as md
            importlib.import_module(mod); env[key] = md.version(mod)
        except Exception as e: env[key] = f"missing ({type(e).__name__})"
    try:  # not imported here: it patches transformers and peft (its rows run in their own process)
        import importlib.metadata as md
        env["unsloth"] = md.version("unsloth")
    except Exception as e: env["unsloth"] = f"missing ({type(e).__name__})"
    return env


def _child(args, a):
    "Run one piece in a fresh interpreter: no leaked memory, no monkey-patches (Liger patches modules) across variants."
    cmd = [sys.executable, str(Path(__file__).resolve()), "--out", a.out, "--model-dir", a.model_dir, "--steps",
           str(a.steps), "--seq", str(a.seq), "--profile", a.profile] + (["--tiny"] if a.tiny else []) + \
          (["--no-liger"] if a.no_liger else []) + args
    return subprocess.run(cmd).returncode


UNSLOTH_ROWS = ("unsloth/padded", "unsloth/packed")


def _unsloth(a, out):
    "Unsloth's rows, from bench/unsloth_throughput.py in its own process; an error row saying why when it cannot run."
    import importlib.util
    if not a.unsloth and importlib.util.find_spec("unsloth") is None:
        why = ("unsloth is not installed: install the wheels of `python scripts/device_wheels.py --unsloth` "
               "(or pass --unsloth to try anyway)")
        with open(out / "results.jsonl", "a") as fh:
            for n in UNSLOTH_ROWS: fh.write(json.dumps(dict(name=n, error=why)) + "\n")
        log(f"   {why}")
        return
    env = {**os.environ, "UNSLOTH_DISABLE_STATISTICS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve().parent / "unsloth_throughput.py"), "--model-dir", a.model_dir,
           "--out", str(out), "--steps", str(a.steps), "--seq", str(a.seq)]
    limit = max(30, min(a.unsloth_timeout, int(a.budget - (time.time() - a.t0) - 15)))
    try: rc = subprocess.run(cmd, env=env, timeout=limit).returncode
    except subprocess.TimeoutExpired: rc = f"timed out after {limit}s"
    got = {json.loads(l)["name"] for l in open(out / "results.jsonl")} if (out / "results.jsonl").exists() else set()
    with open(out / "results.jsonl", "a") as fh:
        for n in UNSLOTH_ROWS:
            if n not in got:
                fh.write(json.dumps(dict(name=n, error=f"unsloth: the child exited ({rc}); see the log")) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.environ.get("OUT", "runs/bench"))
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--tiny", action="store_true", help="small config (CPU dry run of every code path)")
    ap.add_argument("--only", default="", help="comma-separated substrings of variant names to run")
    ap.add_argument("--profile", default="", help="comma-separated variant names to profile (last step)")
    ap.add_argument("--no-liger", action="store_true", help="run the Liger variants without Liger (CPU dry runs)")
    ap.add_argument("--seq", type=int, default=2048, help="row length of the full workload; scales the others")
    ap.add_argument("--unsloth", action="store_true",
                    help="also Unsloth's rows (bench/unsloth_throughput.py); by default when unsloth is importable")
    ap.add_argument("--no-unsloth", action="store_true", help="without Unsloth's rows")
    ap.add_argument("--unsloth-timeout", type=int, default=200, help="seconds for Unsloth's process at most")
    ap.add_argument("--budget", type=int, default=540,
                    help="seconds for the whole run (the device's 600 s limit less the install): Unsloth's process "
                         "gets what is left of it, less 15 s for the report")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one variant in this process
    ap.add_argument("--build", action="store_true", help=argparse.SUPPRESS)  # internal: build the model
    a = ap.parse_args(argv)
    from transformers import MistralConfig
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    cfg = (MistralConfig(vocab_size=32000, hidden_size=256, intermediate_size=768, num_hidden_layers=2,
                         num_attention_heads=8, num_key_value_heads=2) if a.tiny else MistralConfig())
    if a.build:
        n = build_model(cfg, a.model_dir, device)
        (Path(a.model_dir) / "n_params.txt").write_text(str(n)); return
    if a.one:
        v = dict(next(x for x in VARIANTS if x["name"] == a.one))
        if device == "cpu": v["optim"] = "adamw_torch"  # bnb's paged optimizer needs CUDA
        if a.no_liger: v["liger"] = False
        v["seq"] = a.seq
        n = int((Path(a.model_dir) / "n_params.txt").read_text())
        prof = set(filter(None, a.profile.split(",")))
        try:
            r = run_variant(a.model_dir, v, cfg, n, device, a.steps, out if v["name"] in prof else None)
        except Exception as e:
            traceback.print_exc()
            r = dict(name=v["name"], error=f"{type(e).__name__}: {e}")
        with open(out / "results.jsonl", "a") as fh: fh.write(json.dumps(r, default=str) + "\n")
        return
    # parent: never touches the GPU itself
    a.t0 = time.time()
    a.model_dir = a.model_dir or tempfile.mkdtemp(prefix="mistral7b_")
    env = _env("cuda" if torch.cuda.is_available() else "cpu")
    log(json.dumps(env))
    if not (Path(a.model_dir) / "n_params.txt").exists(): _child(["--build"], a)
    (out / "results.jsonl").unlink(missing_ok=True)
    names = [v["name"] for v in (VARIANTS if a.only else DEFAULT) if not a.only or any(s in v["name"] for s in a.only.split(","))]
    unsloth = not a.no_unsloth and (a.unsloth or not a.only)
    for i, name in enumerate(names):
        log(f"== {name}")
        t = time.time()
        rc = _child(["--one", name], a)
        log(f"   ({time.time() - t:.0f}s, rc {rc})")
        _report(names[:i + 1], out, env)  # after each variant: a run cut off at the device's limit keeps its table
    if unsloth:
        names += list(UNSLOTH_ROWS)
        log("== unsloth (its own process)")
        t = time.time()
        _unsloth(a, out)
        log(f"   ({time.time() - t:.0f}s)")
    log("\n" + _report(names, out, env))


def _report(names, out, env) -> str:
    "results.json and results.md of the variants `names` so far; returns the table."
    results = [json.loads(l) for l in open(out / "results.jsonl")] if (out / "results.jsonl").exists() else []
    results = [r for r in results if r["name"] in names]
    done = {r["name"] for r in results}
    results += [dict(name=n, error="crashed (see log)") for n in names if n not in done]
    results.sort(key=lambda r: names.index(r["name"]))
    (out / "results.json").write_text(json.dumps(dict(env=env, results=results), indent=1, default=str))
    t = table(results)
    (out / "results.md").write_text(f"{env['date']} · {env['gpu'] or env['device']} · torch {env['torch']} · "
                                    f"transformers {env['transformers']} · peft {env['peft']} · bitsandbytes "
                                    f"{env['bitsandbytes']} · liger-kernel {env['liger_kernel']} · unsloth "
                                    f"{env['unsloth']}\n\n{t}\n")
    return t


if __name__ == "__main__":
    main()
