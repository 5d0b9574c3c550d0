"""`sql-codegen-export` on real runs: a smoke run of the embedded model and a few LoRA steps on SmolLM2-135M, each
exported and reloaded with plain transformers in a fresh process, whose greedy outputs are compared with the adapter on
its base; the Hub dry run, and the token that never reaches disk or output."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}

# plain transformers only: what a user (or a serving stack) does with the export
RELOAD = r"""
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
out, prompts = sys.argv[1], json.loads(sys.argv[2])
model, tok = AutoModelForCausalLM.from_pretrained(out), AutoTokenizer.from_pretrained(out)
res = []
for msgs in prompts:
    text = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    enc = tok(text, add_special_tokens=False, return_tensors="pt")
    with torch.no_grad(): new = model.generate(**enc, max_new_tokens=48)[0, enc["input_ids"].shape[1]:]
    res.append(new.tolist())
print(json.dumps(dict(dtype=str(model.dtype), eos=model.generation_config.eos_token_id, new=res)))
"""


def _py(args, env=None, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env or ENV, capture_output=True, text=True,
                          timeout=timeout)


def _train(out, model="tiny", steps=4, extra=()):
    sets = [f"model.name={model}", f"training.max_steps={steps}", "training.eval_strategy=no",
            "training.save_steps=100000", "logging.report_to=[]", "logging.extract_representations_every_steps=null",
            "logging.sql_eval_samples=0", "data.max_samples_val=2", *extra]
    r = _py(["-m", "sql_codegen_slm.train", "--config", "smoke", "--output_dir", str(out),
             *[x for s in sets for x in ("--set", s)]])
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def _prompts(n):
    from sql_codegen_slm.data import read_records
    return [r.prompt_messages for r in read_records("sample:val.jsonl")[:n]]


def _adapter_on_base(adapter, prompts, tok):
    "Greedy new tokens of the adapter on its float32 base, unmerged: the path training and sql-codegen-eval take."
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    from sql_codegen_slm.export import adapter_base
    from sql_codegen_slm.model import resolve_model_name
    from sql_codegen_slm.prompts import PromptFormat
    base = AutoModelForCausalLM.from_pretrained(resolve_model_name(adapter_base(adapter)), dtype=torch.float32)
    m, fmt, res = PeftModel.from_pretrained(base, str(adapter)).eval(), PromptFormat(tok), []
    for msgs in prompts:
        enc = tok(fmt.prompt(msgs), add_special_tokens=False, return_tensors="pt")
        with torch.no_grad():
            new = m.generate(**enc, max_new_tokens=48, do_sample=False, eos_token_id=fmt.stop_ids,
                             pad_token_id=tok.pad_token_id)[0, enc["input_ids"].shape[1]:]
        res.append(new.tolist())
    return res


def _export_and_compare(run, out, n, shard="2GB"):
    "Export `run`, reload it in a fresh process, and compare its greedy SQL with the adapter on its base."
    from transformers import AutoTokenizer
    from sql_codegen_slm.prompts import PromptFormat
    from sql_codegen_slm.sql import extract_sql
    r = _py(["-m", "sql_codegen_slm.export", str(run), str(out), "--max-shard-size", shard])
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"-> {out}" in r.stdout and "without an evaluation" in r.stdout, r.stdout
    prompts = _prompts(n)
    got = _py(["-c", RELOAD, str(out), json.dumps(prompts)])
    assert got.returncode == 0, got.stderr[-3000:]
    exp = json.loads(got.stdout.strip().splitlines()[-1])
    tok = AutoTokenizer.from_pretrained(str(run / "final"))
    stop = PromptFormat(tok).stop_ids
    assert exp["dtype"] == "torch.bfloat16" and exp["eos"] == stop  # greedy, stops at the format's end of turn
    ref = _adapter_on_base(run / "final", prompts, tok)
    for new in exp["new"]: assert len(new) == 48 or new[-1] in stop, new  # ended by the generation config's stop
    dec = lambda ids: extract_sql(tok.decode(ids, skip_special_tokens=True))
    same = sum(dec(a) == dec(b) for a, b in zip(exp["new"], ref))
    assert all(a[:4] == b[:4] for a, b in zip(exp["new"], ref)), (exp["new"], ref)  # bf16 flips only near-ties, later
    return same, [dec(a) for a in exp["new"]], [dec(b) for b in ref]


def test_export_of_a_smoke_run_loads_with_plain_transformers(tmp_path):
    run = _train(tmp_path / "run", steps=4)
    out = tmp_path / "export"
    same, exp, ref = _export_and_compare(run, out, n=6, shard="1MB")  # 1 MB shards: the tiny model in several
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors.index.json", "config.json", "generation_config.json", "tokenizer.json",
            "chat_template.jinja", "README.md", "sql_codegen.json"} <= names, names
    assert len([n for n in names if n.endswith(".safetensors")]) > 1  # sharded, with the index vLLM and TGI read
    assert not names & {"optimizer.pt", "adapter_config.json", "training_args.bin"}
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["dtype"] == "bfloat16" and "quantization_config" not in cfg
    assert json.loads((out / "tokenizer_config.json").read_text())["chat_template"] == \
        (run / "final" / "chat_template.jinja").read_text()  # the run's prompt format, where TGI reads it too
    card = (out / "README.md").read_text()
    assert "# export" in card and "closest shipped preset `smoke`" in card and "Not evaluated" in card
    assert "steps: 4 (this adapter: step 4" in card and "| train | `sample:train.jsonl` | 814 |" in card
    assert same >= 5, (exp, ref)  # bf16 export vs the float32 adapter on its base: SQL agrees on all but rounding


def test_export_of_smollm2_loads_with_plain_transformers(tmp_path):
    pytest.importorskip("gguf", reason='reading GGUF files needs the real extra: pip install "sql-codegen-slm[real]"')
    run = _train(tmp_path / "run", model="smollm2-135m", steps=2,
                 extra=("training.per_device_train_batch_size=2", "training.gradient_accumulation_steps=1",
                        "data.max_samples_train=8", "lora.target_modules=auto", "training.learning_rate=5e-4"))
    out = tmp_path / "smollm2"
    same, exp, ref = _export_and_compare(run, out, n=3)
    info = json.loads((out / "sql_codegen.json").read_text())
    assert info["base_model"] == "smollm2-135m" and info["kind"] == "merged"
    gen = json.loads((out / "generation_config.json").read_text())
    assert gen["eos_token_id"] == [2] and gen["do_sample"] is False  # ChatML's <|im_end|>
    assert (out / "model.safetensors").stat().st_size < 300e6  # bf16: 2 bytes a parameter (134.5M, tied embeddings)
    assert "<|im_start|>" in (out / "README.md").read_text()
    assert same >= 2, (exp, ref)  # bf16 vs float32: 149 of 164 identical on the validation split (README)


def _tiny_adapter(d: Path) -> Path:
    "A LoRA adapter on the embedded model, as a run saves it (adapter, tokenizer, config.yaml)."
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    from sql_codegen_slm.config import load_config
    from sql_codegen_slm.model import load_tokenizer
    from sql_codegen_slm.pretrained import tiny_model_dir
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir()), LoraConfig(r=4)).save_pretrained(d)
    load_tokenizer("tiny").save_pretrained(d); load_config("smoke").save(d / "config.yaml")
    return d


def _all_bytes(root: Path):
    for p in root.rglob("*"):
        if p.is_file(): yield p, p.read_bytes()


def test_hub_dry_run_lists_the_files_and_the_token_never_leaks(tmp_path):
    token = "hf_TESTsecretTOKEN0123456789abcdef"
    ad = _tiny_adapter(tmp_path / "adapter")
    home = tmp_path / "home"; home.mkdir()
    env = {**ENV, "HF_TOKEN": token, "HOME": str(home), "HF_HOME": str(home / "hf"),
           "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_DISABLE_TELEMETRY": "1"}  # port 9: nothing listens
    r = _py(["-m", "sql_codegen_slm.export", str(ad), str(tmp_path / "out"), "--push-to-hub", "me/sql-tiny",
             "--dry-run"], env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "dry run: would upload" in r.stdout and "private model repo me/sql-tiny" in r.stdout
    for f in ("README.md", "model.safetensors", "generation_config.json", "sql_codegen.json"):
        assert f"  {f}  " in r.stdout
    # the real path, to an endpoint that refuses: one line naming the repo, the token nowhere
    up = _py(["-m", "sql_codegen_slm.export", str(tmp_path / "out"), "--push-to-hub", "me/sql-tiny"], env=env)
    assert up.returncode == 2 and up.stderr.strip().splitlines()[-1].startswith(
        "sql-codegen-export: error: --push-to-hub me/sql-tiny: "), up.stderr[-2000:]
    for text in (r.stdout, r.stderr, up.stdout, up.stderr): assert token not in text
    for p, data in _all_bytes(tmp_path): assert token.encode() not in data, p
    # without a token: refused before anything is written
    env.pop("HF_TOKEN")
    no = _py(["-m", "sql_codegen_slm.export", str(ad), str(tmp_path / "out2"), "--push-to-hub", "me/x"], env=env)
    assert no.returncode == 2 and "HF_TOKEN is not set" in no.stderr and not (tmp_path / "out2").exists()


def test_adapter_only_names_its_base(tmp_path):
    from sql_codegen_slm.export import export
    res = export(_tiny_adapter(tmp_path / "adapter"), tmp_path / "out", adapter_only=True)
    names = {f for f, _ in res["files"]}
    assert {"adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "README.md"} <= names
    assert not any(n.startswith(("optimizer", "rng_state", "training_args")) for n in names)
    card = (tmp_path / "out" / "README.md").read_text()
    assert "`tiny`" in card and "PeftModel.from_pretrained" in card and "library_name: peft" in card


def test_agreement_of_a_4bit_trained_adapter(tmp_path):
    "Trained on bitsandbytes' NF4 layers (CPU): the export says so, and the agreement puts the adapter on that base."
    from sql_codegen_slm.data import resolve_data_path, sample_data_dir
    from sql_codegen_slm.card import MERGE_NOTE, trained_quantization
    from sql_codegen_slm.export import adapter_on_base, agreement, export
    from sql_codegen_slm.judge import read_gold
    run = _train(tmp_path / "run", steps=3, extra=["quantization.on_cpu=true"])
    assert trained_quantization(run / "final")["bnb_4bit_quant_type"] == "nf4"
    res = export(run, tmp_path / "export")
    info = json.loads((tmp_path / "export" / "sql_codegen.json").read_text())
    assert info["trained_base"].startswith("4-bit nf4 double-quant on CPU") and info["merge_note"] == MERGE_NOTE
    assert res["merge_note"] == MERGE_NOTE and "Trained on a 4-bit (NF4) base" in (tmp_path / "export" / "README.md"
                                                                                     ).read_text()
    # merged into the NF4 values it trained on: the export's weights are those values plus the LoRA, rounded to bf16 once
    import torch
    from transformers import AutoModelForCausalLM
    from sql_codegen_slm.card import MERGE_NOTE_ORIGINAL
    assert "into the NF4 values of" in info["how"], info["how"]
    key, nf4 = "model.layers.0.self_attn.q_proj.weight", adapter_on_base(run / "final", "trained", True)[0]
    w_exp = AutoModelForCausalLM.from_pretrained(tmp_path / "export").state_dict()[key]
    assert torch.equal(w_exp, nf4.state_dict()[key].to(torch.bfloat16))
    orig = export(run, tmp_path / "export_orig", merge_base="original")  # the original weights: said, and different
    assert orig["merge_note"] == MERGE_NOTE_ORIGINAL and "into the NF4" not in orig["how"]
    assert not torch.equal(AutoModelForCausalLM.from_pretrained(tmp_path / "export_orig").state_dict()[key], w_exp)
    gold, dbs = read_gold(resolve_data_path("sample:val.jsonl"))[:2], sample_data_dir() / "schemas"
    real = agreement(tmp_path / "export", run, gold, dbs)  # bitsandbytes' Linear4bit, the LoRA unmerged
    assert real["base"] == "4-bit nf4 double-quant base as in training (CPU, float32)", real["base"]
    assert real["n"] == 2 and real["adapter"]["n"] == real["export"]["n"] == 2 and 0 <= real["identical"] <= 2
    fast = agreement(tmp_path / "export", run, gold, dbs, fast=True)  # the NF4 values in float32 layers, merged
    assert fast["base"].endswith("dequantized to float32, LoRA added in float32") and fast["export_sql"] == \
        real["export_sql"]
    assert fast["adapter_sql"] == real["adapter_sql"], (fast, real)  # the same values; rounding flips no token here
    assert adapter_on_base(run / "final", "float32", True)[2] == "float32 base (unquantized), LoRA added in float32"
