"GPU check of padding-free training: packed loss/grads == rows run separately, through torch's flash varlen attention."
import pytest, torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

from transformers import MistralConfig, MistralForCausalLM
from sql_codegen_slm import packing


def _model(seed=0):
    torch.manual_seed(seed)
    cfg = MistralConfig(vocab_size=1024, hidden_size=512, intermediate_size=1024, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, sliding_window=None, max_position_embeddings=4096)
    return MistralForCausalLM._from_config(cfg, attn_implementation="sdpa", dtype=torch.bfloat16).cuda().train()


def _rows(lens, seed=1):
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in lens:
        ids = torch.randint(3, 1024, (n,), generator=g).tolist()
        out.append(dict(input_ids=ids, attention_mask=[1] * n, labels=[-100] * (n // 2) + ids[n // 2:]))
    return out


def _separate(model, feats):
    total, n = 0., 0
    for f in feats:
        k = sum(l != -100 for l in f["labels"][1:])
        out = model(input_ids=torch.tensor([f["input_ids"]], device="cuda"),
                    labels=torch.tensor([f["labels"]], device="cuda"), use_cache=False)
        total, n = total + out.loss.float() * k, n + k
    return total / n


def _grads(model, loss_fn):
    model.zero_grad()
    loss = loss_fn()
    loss.backward()
    return loss.item(), {n: p.grad.float().clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.fixture
def counted(monkeypatch):
    "Count calls of torch's varlen kernel, to prove the fast path (not the per-row fallback) ran."
    assert packing._torch_varlen_attn is not None, "torch.nn.attention.varlen missing"
    calls = []
    orig = packing._torch_varlen_attn
    monkeypatch.setattr(packing, "_torch_varlen_attn", lambda *a, **k: calls.append(1) or orig(*a, **k))
    return calls


def test_packed_equals_separate_bf16(counted):
    feats = _rows([300, 1000, 77, 513, 1500])
    model = _model()
    ref_loss, ref_g = _grads(model, lambda: _separate(model, feats))  # sdpa, each row alone
    naive = model(**{k: v.cuda() if torch.is_tensor(v) else v for k, v in packing.packed_collator()(feats).items()}).loss
    packing.enable_packed_attention(model)
    batch = {k: v.cuda() if torch.is_tensor(v) else v for k, v in packing.packed_collator()(feats).items()}
    loss, g = _grads(model, lambda: model(**batch).loss)
    assert len(counted) == 2, "varlen_attn was not used in both layers"
    print(f"separate {ref_loss:.5f} packed {loss:.5f} naive {naive.item():.5f}")
    assert abs(loss - ref_loss) < 5e-3 * abs(ref_loss)
    worst = max(((g[n] - ref_g[n]).norm() / ref_g[n].norm().clamp_min(1e-12)).item() for n in ref_g)
    print(f"worst relative gradient difference {worst:.2e}")
    assert worst < 5e-2


def test_varlen_matches_reference_fp64():
    "Flash varlen output vs per-row SDPA in float64 on random q/k/v (GQA, uneven rows)."
    g = torch.Generator(device="cuda").manual_seed(0)
    cu = torch.tensor([0, 5, 700, 701, 2048], dtype=torch.int32, device="cuda")
    q = torch.randn(2048, 8, 128, device="cuda", generator=g)
    k = torch.randn(2048, 2, 128, device="cuda", generator=g)
    v = torch.randn(2048, 2, 128, device="cuda", generator=g)
    out = packing._varlen(*(t.bfloat16() for t in (q, k, v)), cu, 1347, scale=128 ** -0.5).double()
    ref = packing._segment_sdpa(q.double(), k.double(), v.double(), cu, 128 ** -0.5)
    rel = ((out - ref).norm() / ref.norm()).item()
    print(f"relative error {rel:.2e}")
    assert 0 < rel < 1e-2
