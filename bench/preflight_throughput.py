"""Throughput of the full preset's training stack by row length, for `estimate.estimate_run`'s table.

Mistral-7B-shaped random model (MistralConfig() defaults; no hub) saved once, loaded back in 4-bit NF4 with bf16 compute,
LoRA r=16 on the 7 projections, gradient checkpointing (non-reentrant), paged AdamW 32-bit, SDPA, bf16 autocast (what the
Trainer does with bf16=True), batch 4, every row of length L. Times one micro-batch (forward + backward + optimizer step) with CUDA syncs; median of steps 3..N.
Usage (GPU machine): python bench/preflight_throughput.py [--lengths 2048,1024,512,256] [--steps 8]
Writes $OUT/preflight_throughput.json (or ./preflight_throughput.json) and prints a table.
"""
import argparse, json, os, statistics, time
from pathlib import Path
import torch

p = argparse.ArgumentParser()
p.add_argument("--lengths", default="2048,1024,512,256")
p.add_argument("--steps", type=int, default=8)
p.add_argument("--batch", type=int, default=4)
p.add_argument("--model_dir", default="/tmp/mistral7b-random")
a = p.parse_args()

from transformers import MistralConfig, MistralForCausalLM, AutoModelForCausalLM, BitsAndBytesConfig
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
import bitsandbytes as bnb

t0 = time.time()
d = Path(a.model_dir)
if not (d / "config.json").exists():
    torch.manual_seed(0)
    with torch.device("cuda"): m = MistralForCausalLM(MistralConfig()).to(torch.bfloat16)
    m.save_pretrained(d); del m; torch.cuda.empty_cache()
build_s = time.time() - t0
q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16)
t0 = time.time()
model = AutoModelForCausalLM.from_pretrained(d, quantization_config=q, dtype=torch.bfloat16, device_map={"": 0}, attn_implementation="sdpa")
model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True, gradient_checkpointing_kwargs={"use_reentrant": False})
model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, task_type="CAUSAL_LM",
                                         target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
load_s = time.time() - t0
model.train()
opt = bnb.optim.PagedAdamW32bit([p for p in model.parameters() if p.requires_grad], lr=2e-4)
rows = []
for L in map(int, a.lengths.split(",")):
    torch.cuda.reset_peak_memory_stats()
    ids = torch.randint(3, 32000, (a.batch, L), device="cuda")
    times = []
    for i in range(a.steps):
        torch.cuda.synchronize(); t = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):  # as the Trainer with bf16=True: fp32-upcast norms/head/LoRA run in bf16
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize(); times.append(time.perf_counter() - t)
    med = statistics.median(times[2:])
    rows.append(dict(seq_len=L, batch=a.batch, tokens=a.batch * L, step_s=round(med, 4), tokens_per_s=round(a.batch * L / med, 1),
                     peak_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2), loss=round(loss.item(), 3)))
    print(rows[-1], flush=True)
# least-squares fit step_s = a + b * tokens: a fixed per-micro-batch cost (dequantizing 7B weights three times) + a per-token cost
xs, ys = [r["tokens"] for r in rows], [r["step_s"] for r in rows]
mx, my = statistics.fmean(xs), statistics.fmean(ys)
b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
fit = dict(fixed_s=round(my - b * mx, 4), per_token_s=b, tokens_per_s_asymptotic=round(1 / b, 1))
res = dict(gpu=torch.cuda.get_device_name(), torch=torch.__version__, bitsandbytes=bnb.__version__, build_s=round(build_s, 1),
           load_s=round(load_s, 1), rows=rows, fit=fit)
out = Path(os.environ.get("OUT", ".")) / "preflight_throughput.json"
out.write_text(json.dumps(res, indent=1))
print(f"\n{res['gpu']}: step = {fit['fixed_s']:.3f} s + tokens / {fit['tokens_per_s_asymptotic']:,.0f} tokens/s")
print(f"{'seq':>6} {'tokens':>7} {'step s':>8} {'tokens/s':>9} {'peak GiB':>9}")
for r in rows: print(f"{r['seq_len']:>6} {r['tokens']:>7} {r['step_s']:>8.3f} {r['tokens_per_s']:>9,.0f} {r['peak_gib']:>9.2f}")
