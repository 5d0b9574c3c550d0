"""4-bit NF4 on CPU, opt-in (`quantization.on_cpu`): the recipe trains the embedded model on bitsandbytes' `Linear4bit`
layers (its CPU backend), its LoRA moves, its loss is finite and its checkpoint saves; `dequantized` keeps the NF4
values in plain layers; the default on CPU stays 'skipped (no CUDA)'."""
import math

import pytest
import torch
from safetensors.torch import load_file

from sql_codegen_slm.config import ConfigError, load_config
from sql_codegen_slm.model import load_model

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU path: with CUDA 4-bit is the default")
QUIET = ["logging.report_to=[]", "logging.extract_representations_every_steps=null", "logging.sql_eval_samples=0"]


def _kinds(model): return {type(m).__name__ for m in model.modules()}


def test_default_on_cpu_is_skipped_and_bad_value_named():
    model, _, info = load_model(load_config("smoke"))
    assert info["quantization"] == "skipped (no CUDA)" and "Linear4bit" not in _kinds(model)
    with pytest.raises(ConfigError, match=r"quantization.on_cpu: 'yes' is not one of false, true, dequantized"):
        load_config("smoke", ["quantization.on_cpu=yes"])


def test_4bit_steps_on_cpu_move_the_lora(tmp_path):
    from sql_codegen_slm.train import train
    cfg = load_config("smoke", ["quantization.on_cpu=true", "training.max_steps=3", "training.eval_strategy=no",
                                "training.save_steps=3", "data.max_samples_val=2", f"training.output_dir={tmp_path}",
                                *QUIET])
    model, _, info = load_model(cfg)
    assert "Linear4bit" in _kinds(model), _kinds(model)  # peft's LoRA wraps bitsandbytes' 4-bit layers
    assert info["quantization"] == "4-bit nf4 double-quant on CPU (bitsandbytes' CPU backend: slow, for checks)"
    del model
    r = train(cfg)
    assert r.global_step == 3 and math.isfinite(r.train_loss), r
    losses = [h["loss"] for h in r.log_history if "loss" in h]
    assert len(losses) == 3 and all(map(math.isfinite, losses)), losses
    for d in (tmp_path / "checkpoint-3", tmp_path / "final"):  # the checkpoint and the final adapter both saved
        w = load_file(d / "adapter_model.safetensors")
        bs = [v for k, v in w.items() if "lora_B" in k]
        assert bs and all(v.abs().sum() > 0 for v in bs), d  # lora_B starts at zero: every one moved
    assert "4-bit nf4 double-quant on CPU" in (tmp_path / "final" / "README.md").read_text()


def test_dequantized_keeps_the_nf4_values():
    import bitsandbytes as bnb
    import bitsandbytes.functional as F
    cfg = load_config("smoke", ["quantization.on_cpu=dequantized"])
    m4, _, _ = load_model(load_config("smoke", ["quantization.on_cpu=true"]))
    md, _, info = load_model(cfg)
    mf, _, _ = load_model(load_config("smoke"))
    assert "Linear4bit" not in _kinds(md) and "dequantized" in info["quantization"]
    q4 = next(m for n, m in m4.named_modules() if n.endswith("layers.0.self_attn.q_proj.base_layer"))
    assert isinstance(q4, bnb.nn.Linear4bit)
    w4 = F.dequantize_4bit(q4.weight.data, q4.weight.quant_state).float()
    get = lambda m: next(x for n, x in m.named_modules() if n.endswith("layers.0.self_attn.q_proj.base_layer")).weight
    wd, wf = get(md), get(mf)
    assert torch.equal(wd, w4) and not wd.requires_grad  # the NF4 values, frozen
    assert not torch.equal(wd, wf) and (wd - wf).abs().max() < 0.5 * wf.abs().max()  # quantized: near, not equal
