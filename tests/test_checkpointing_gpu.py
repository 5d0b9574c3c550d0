"""GPU checks of the checkpointing dial: offload (copies on side streams, the next layer's prefetched) and grouped LoRA
give the same loss and LoRA gradients as keeping every activation, on CUDA, where the streams really run."""
import pytest, torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

from peft import LoraConfig, get_peft_model
from transformers import MistralConfig, MistralForCausalLM
from sql_codegen_slm.fast_paths import fuse_lora_forward, set_activation_checkpointing

ALL7 = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def one_step(setting, grouped, steps=2):
    "Loss and LoRA gradients of `steps` forward/backward passes (fp32, dropout 0.1, fixed seed) on a 4-layer model."
    torch.manual_seed(0)
    cfg = MistralConfig(vocab_size=512, hidden_size=256, intermediate_size=512, num_hidden_layers=4,
                        num_attention_heads=8, num_key_value_heads=2, sliding_window=None)
    m = MistralForCausalLM._from_config(cfg, attn_implementation="sdpa", dtype=torch.float32).cuda()
    for p in m.parameters(): p.requires_grad_(False)
    k = set_activation_checkpointing(m, setting)
    m = get_peft_model(m, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.1, target_modules=ALL7))
    for n, p in m.named_parameters():
        if "lora_B" in n: p.data.normal_(0, 0.02, generator=torch.Generator("cuda").manual_seed(1))
    fuse_lora_forward(m, grouped)
    m.train()
    ids = torch.randint(3, 512, (2, 300), generator=torch.Generator().manual_seed(2)).cuda()
    torch.manual_seed(3)  # the same dropout masks for every setting (a recompute replays the RNG state)
    losses = []
    for _ in range(steps):  # twice: the offload records of the first step are dropped by the second forward
        loss = m(input_ids=ids, labels=ids, use_cache=False).loss; loss.backward(); losses.append(loss.item())
    return k, losses, {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("grouped", [False, True])
def test_offload_and_fractions_equal_none(grouped):
    ref = one_step("none", grouped)
    assert len(ref[2]) == 2 * 7 * 4
    for setting, k in (("offload", 4), ("all", 4), (0.5, 2)):
        got = one_step(setting, grouped)
        assert got[0] == k
        torch.testing.assert_close(got[1], ref[1], rtol=1e-5, atol=1e-5)
        for n in ref[2]: torch.testing.assert_close(got[2][n], ref[2][n], rtol=1e-4, atol=1e-6, msg=f"{setting} {n}")
