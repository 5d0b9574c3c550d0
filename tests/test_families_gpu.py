"""GPU checks of every fast path on each family (Llama, Mistral, Qwen2, Gemma-3), in bf16 where the real kernels run:
flash varlen training attention with sliding windows, the decoder's flash steps and CUDA graph, fused and grouped LoRA,
checkpointing with offload on side streams, and Liger (when installed). The CPU notebooks prove exactness in fp32; here
the same comparisons hold to bf16 rounding. Self-contained, about a minute: `pytest tests/test_families_gpu.py -s`."""
import pytest, torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

from peft import LoraConfig, get_peft_model
from sql_codegen_slm import generate, packing
from sql_codegen_slm.fast_paths import apply_liger, fuse_lora_forward, set_activation_checkpointing
from sql_codegen_slm.tiny import FAMILIES, family_model

# head sizes the flash kernels specialise on, as in the real models: SmolLM2's 64 with 9 heads over 3 KV heads,
# Mistral's 128, Qwen2's 64, Gemma-3-270M's 256 with 4 heads over 1 (head_dim != hidden / heads); 128-token windows
SHAPES = dict(
    llama=dict(hidden_size=576, intermediate_size=1536, num_attention_heads=9, num_key_value_heads=3),
    mistral=dict(hidden_size=512, intermediate_size=1024, num_attention_heads=4, num_key_value_heads=2,
                 sliding_window=128),
    qwen2=dict(hidden_size=384, intermediate_size=1024, num_attention_heads=6, num_key_value_heads=2,
               sliding_window=128),
    gemma3=dict(hidden_size=640, intermediate_size=2048, num_attention_heads=4, num_key_value_heads=1, head_dim=256,
                query_pre_attn_scalar=256, sliding_window=128),
)
for shape in SHAPES.values(): shape["initializer_range"] = 0.02  # transformers' default: bf16 noise stays small
LAYERS = 3
ALL7 = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
families = pytest.mark.parametrize("fam", FAMILIES)


def _model(fam, seed=0, dtype=torch.bfloat16, **kw):
    return family_model(fam, seed, dtype=dtype, layers=LAYERS, **{**SHAPES[fam], **kw}).cuda()


def _rows(lens, seed=1, vocab=1024):
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in lens:
        ids = torch.randint(3, vocab, (n,), generator=g).tolist()
        out.append(dict(input_ids=ids, attention_mask=[1] * n, labels=[-100] * (n // 2) + ids[n // 2:]))
    return out


ROWS = _rows([300, 1000, 77, 513, 150])  # four rows longer than the 128-token windows


def _cuda(batch): return {k: v.cuda() if torch.is_tensor(v) else v for k, v in batch.items()}


def _padded(feats):
    L = max(len(f["input_ids"]) for f in feats)
    return _cuda({k: torch.tensor([f[k] + [v] * (L - len(f[k])) for f in feats])
                  for k, v in [("input_ids", 0), ("attention_mask", 0), ("labels", -100)]})


def _packed(feats): return _cuda(packing.packed_collator()(feats))


def _loss_grads(model, batch, seed=3):
    "Loss and gradients; a bf16 model under bf16 autocast, as the Trainer runs it (fused LoRA needs it: fp32 adapters)."
    model.zero_grad()
    torch.manual_seed(seed)  # the same dropout masks
    half = any(p.dtype == torch.bfloat16 for p in model.parameters())
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=half): loss = model(**batch).loss
    loss.backward()
    return loss.item(), {n: p.grad.float().clone() for n, p in model.named_parameters() if p.grad is not None}


def _errors(got, truth):
    "(loss error, worst relative gradient error) of `got` against `truth`."
    (l, g), (l_t, g_t) = got, truth
    assert set(g) == set(g_t) and g
    return abs(l - l_t), max(((g[n] - g_t[n]).norm() / g_t[n].norm().clamp_min(1e-12)).item() for n in g_t)


def _as_accurate(fast, plain, truth, what, wrong=None):
    "In bf16 the fast path is as close to the fp32 truth as the plain path is (twice its error, plus a little)."
    (lf, gf), (lp, gp) = _errors(fast, truth), _errors(plain, truth)
    print(f"{what}: loss error {lf:.1e} (plain path {lp:.1e}), worst gradient error {gf:.1e} (plain {gp:.1e})")
    ok = lambda l, g: l <= 2 * lp + 2e-3 * abs(truth[0]) and g <= 2 * gp + 1e-2
    assert ok(lf, gf), what
    if wrong is not None:  # what a wrong computation gives fails the same bound: the test can fail
        lw, gw = _errors(wrong, truth)
        print(f"{what}: a wrong computation's loss error {lw:.1e}, gradient error {gw:.1e}")
        assert not ok(lw, gw), what


def _same(got, ref, noise, what):
    "Equal up to the run-to-run noise of the kernels (`noise`: two runs of the same thing)."
    (l, g), (ln, gn) = _errors(got, ref), _errors(noise, ref)
    print(f"{what}: loss difference {l:.1e}, worst gradient difference {g:.1e} (run to run {ln:.1e}, {gn:.1e})")
    assert l <= 4 * ln + 1e-4 * abs(ref[0]) and g <= 4 * gn + 1e-3, what


@pytest.fixture
def varlen_calls(monkeypatch):
    "Count calls of torch's flash varlen kernel: the fast path (not the per-row fallback) ran."
    assert packing._torch_varlen_attn is not None, "this torch has no torch.nn.attention.varlen"
    calls, orig = [], packing._torch_varlen_attn
    monkeypatch.setattr(packing, "_torch_varlen_attn", lambda *a, **k: calls.append(k) or orig(*a, **k))
    return calls


@families
def test_packed_varlen_equals_padded_sdpa(fam, varlen_calls):
    "Loss and every gradient of the packed batch (flash varlen, windows) == transformers' padded sdpa batch."
    ref_m, truth_m = _model(fam).train(), _model(fam, dtype=torch.float32).train()
    ref_m.config.use_cache = truth_m.config.use_cache = False
    ref, truth = _loss_grads(ref_m, _padded(ROWS)), _loss_grads(truth_m, _padded(ROWS))
    m = packing.enable_packed_attention(_model(fam).train())
    varlen_calls.clear()
    got = _loss_grads(m, _packed(ROWS))
    windows = [k.get("window_size", (-1, 0))[0] for k in varlen_calls]
    print(f"{fam}: varlen window_size left per call {windows}")
    n_fwd = len(varlen_calls)
    sliding = {"llama": 0, "mistral": LAYERS, "qwen2": LAYERS - 1, "gemma3": (LAYERS + 1) // 2}[fam]
    assert n_fwd == (LAYERS if "window_size" in packing._VARLEN_ARGS else LAYERS - sliding), (fam, n_fwd)
    assert sum(w == 127 for w in windows) == (sliding if "window_size" in packing._VARLEN_ARGS else 0), windows
    wrong = None
    if fam != "llama":  # the same weights without the windows: a packed path that ignored them
        wide = packing.enable_packed_attention(_model(fam, sliding_window=100_000).train())
        wrong = _loss_grads(wide, _packed(ROWS))
    _as_accurate(got, ref, truth, f"{fam} packed vs padded", wrong)


def test_flash_decode_window_equals_sdpa():
    "A sliding layer's decoding step: flash with offset keys == SDPA with the window mask; nothing outside it is read."
    torch.manual_seed(0)
    B, L, H, kv, D, W = 5, 256, 8, 2, 128, 64
    q = torch.randn(B, H, 1, D, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(B, kv, L, D, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    used = torch.tensor([1, 40, 64, 65, 250], device="cuda", dtype=torch.int32)
    mask = (torch.arange(L, device="cuda")[None] < used[:, None].long())[:, None, None]
    att = lambda k, v: generate._generate_attention(None, q, k, v, mask, scaling=D ** -0.5, sliding_window=W,
                                                    seqused_k=used)[0]
    flash = att(k, v)
    assert generate._FLASH_DECODE[0], "flash varlen decoding is off on this GPU"
    generate._FLASH_DECODE[0] = False  # the SDPA path (CPU, or a GPU without flash)
    try: sdpa = att(k, v)
    finally: generate._FLASH_DECODE[0] = True
    torch.testing.assert_close(flash.float(), sdpa.float(), atol=2e-2, rtol=2e-2)
    k2, v2 = k.clone(), v.clone()  # garbage before the window and past the filled slots changes nothing
    for b, u in enumerate(used.tolist()):
        k2[b, :, :max(0, u - W)], v2[b, :, :max(0, u - W)] = 1e3, 1e3
        k2[b, :, u:], v2[b, :, u:] = 1e3, 1e3
    torch.testing.assert_close(att(k2, v2), flash)


class _Tok:
    "The two things decode_greedy needs of a tokenizer (no statement stop in numbers)."
    eos_token_id = 2
    def decode(self, ids, **kw): return " ".join(map(str, ids))


@families
def test_decode_greedy(fam):
    "CUDA graph == eager; every new token is (up to bf16 noise) the argmax of a full, uncached sdpa forward."
    m = _model(fam).eval()
    g = torch.Generator().manual_seed(1)
    enc = [torch.randint(3, 1024, (n,), generator=g).tolist() for n in (40, 7, 300, 130)]  # + 48 new: past 128
    with torch.no_grad():
        eager = generate.decode_greedy(m, _Tok(), enc, 48, graph=False, prefill_tokens=200)
        graph = generate.decode_greedy(m, _Tok(), enc, 48, graph=True, prefill_tokens=200)
        assert generate._FLASH_DECODE[0], "flash decoding fell back to SDPA"
        assert graph == eager, fam
        exact, worst = 0, 0.0
        for e, new in zip(enc, graph):
            logits = m(torch.tensor([e + new], device="cuda"), use_cache=False).logits[0, len(e) - 1:-1].float()
            top, chosen = logits.max(-1).values, logits.gather(-1, torch.tensor(new, device="cuda")[:, None])[:, 0]
            gap = (top - chosen) / logits.std(-1)  # in units of the logits' spread
            exact += int((gap == 0).sum()); worst = max(worst, gap.max().item())
    n = sum(map(len, graph))
    print(f"{fam}: {n} new tokens, {exact} the exact argmax of the full forward, worst gap {worst:.3f} std")
    assert exact >= 0.9 * n and worst < 0.1, fam


def _lora(fam, dropout=0.0, grouped=None, seed=0, dtype=torch.bfloat16):
    m = get_peft_model(_model(fam, seed, dtype), LoraConfig(r=8, lora_alpha=16, lora_dropout=dropout,
                                                            target_modules=ALL7))
    g = torch.Generator(device="cuda").manual_seed(2)
    for n, p in m.named_parameters():
        if "lora_B" in n: p.data.normal_(0, 0.02, generator=g)
    if grouped is not None: assert fuse_lora_forward(m, grouped) == 7 * LAYERS
    return packing.enable_packed_attention(m).train()


@families
def test_fused_grouped_and_checkpointing(fam, monkeypatch):
    "Fused and grouped LoRA == peft's forward (dropout 0); every checkpointing setting == none (offload: side streams)."
    from sql_codegen_slm import fast_paths
    shared, orig = [], fast_paths._SharedInput.lora_h
    monkeypatch.setattr(fast_paths._SharedInput, "lora_h", lambda *a: shared.append(1) or orig(*a))
    batch = _packed(ROWS)
    ref, truth = _loss_grads(_lora(fam), batch), _loss_grads(_lora(fam, dtype=torch.float32), batch)
    for grouped in (False, True):
        got = _loss_grads(_lora(fam, grouped=grouped), batch)
        _as_accurate(got, ref, truth, f"{fam} {'grouped' if grouped else 'fused'}")
    assert len(shared) == 5 * LAYERS, len(shared)  # the grouped forward ran (not peft's fall-back): q/k/v, gate/up
    none = _loss_grads(_lora(fam, 0.1, grouped=True), batch)
    noise = _loss_grads(_lora(fam, 0.1, grouped=True), batch)
    for setting, k in (("all", LAYERS), (0.5, 2), ("offload", LAYERS)):
        m = _lora(fam, 0.1, grouped=True)
        assert set_activation_checkpointing(m, setting) == k
        _same(_loss_grads(m, batch), none, noise, f"{fam} checkpointing {setting}")


def _unpatched(module):
    "Context: `module` and its classes as they are now, put back after (Liger patches transformers' modeling code)."
    import contextlib, inspect

    @contextlib.contextmanager
    def ctx():
        classes = [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == module.__name__]
        saved = [(module, dict(vars(module)))] + [(c, dict(vars(c))) for c in classes]
        try: yield
        finally:
            for obj, d in saved:
                for k in [k for k in vars(obj) if k not in d]: delattr(obj, k)
                for k, v in d.items():
                    if vars(obj).get(k) is not v and k not in ("__dict__", "__weakref__"): setattr(obj, k, v)
    return ctx()


@families
def test_liger(fam):
    "Liger's kernels (when installed and the model type known): loss and LoRA gradients as close as the plain model's."
    import sys
    pytest.importorskip("liger_kernel")
    batch = _packed(ROWS)
    ref, truth = _loss_grads(_lora(fam, grouped=True), batch), _loss_grads(_lora(fam, dtype=torch.float32), batch)
    m = _lora(fam, grouped=True)
    with _unpatched(sys.modules[type(m.get_base_model()).__module__]):
        if not apply_liger(m): pytest.skip(f"liger-kernel does not know {m.get_base_model().config.model_type}")
        _as_accurate(_loss_grads(m, batch), ref, truth, f"{fam} liger")
    liger_gone = _loss_grads(_lora(fam, grouped=True), batch)
    assert liger_gone[0] == ref[0], "Liger's patches outlived the test"
