"GPU checks of the fast decoder: flash varlen decoding equals SDPA over the masked cache; the CUDA graph equals eager."
import pytest, torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

from transformers import MistralConfig, MistralForCausalLM
from sql_codegen_slm import generate


def test_flash_decode_equals_sdpa():
    torch.manual_seed(0)
    B, L, H, kv, D = 5, 192, 32, 8, 128
    q = torch.randn(B, H, 1, D, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(B, kv, L, D, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    used = torch.tensor([1, 7, 64, 150, 192], device="cuda", dtype=torch.int32)
    mask = (torch.arange(L, device="cuda")[None] < used[:, None].long())[:, None, None]
    flash, _ = generate._generate_attention(None, q, k, v, mask, scaling=D ** -0.5, seqused_k=used)
    assert generate._FLASH_DECODE[0], "flash varlen decoding is off on this GPU"
    generate._FLASH_DECODE[0] = False  # the SDPA path (CPU, or a GPU without flash)
    try: sdpa, _ = generate._generate_attention(None, q, k, v, mask, scaling=D ** -0.5, seqused_k=used)
    finally: generate._FLASH_DECODE[0] = True
    assert flash.shape == sdpa.shape == (B, 1, H, D)
    torch.testing.assert_close(flash.float(), sdpa.float(), atol=2e-2, rtol=2e-2)
    # and neither looks past a row's filled slots: garbage there changes nothing
    k2, v2 = k.clone(), v.clone()
    for b, u in enumerate(used.tolist()): k2[b, :, u:], v2[b, :, u:] = 1e3, 1e3
    flash2, _ = generate._generate_attention(None, q, k2, v2, mask, scaling=D ** -0.5, seqused_k=used)
    torch.testing.assert_close(flash2, flash)


class _Tok:
    "The two things decode_greedy needs of a tokenizer."
    eos_token_id = 2
    def decode(self, ids, **kw): return " ".join(map(str, ids))


def test_graph_equals_eager():
    torch.manual_seed(0)
    cfg = MistralConfig(vocab_size=512, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                        num_attention_heads=8, num_key_value_heads=2, sliding_window=None)
    model = MistralForCausalLM._from_config(cfg, attn_implementation="sdpa", dtype=torch.bfloat16).cuda().eval()
    g = torch.Generator().manual_seed(1)
    enc = [torch.randint(3, 512, (n,), generator=g).tolist() for n in (40, 7, 130, 65)]
    with torch.no_grad():
        eager = generate.decode_greedy(model, _Tok(), enc, 24, graph=False, prefill_tokens=100)
        graph = generate.decode_greedy(model, _Tok(), enc, 24, graph=True, prefill_tokens=100)
    assert [len(r) for r in eager] == [len(r) for r in graph] and all(len(r) >= 1 for r in eager)
    assert graph == eager
