"""The real Mistral-7B-v0.1 tokenizer (built from mistral-common's SentencePiece model) on our prompt format, on CPU."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

pytest.importorskip("mistral_common", reason='needs the mistral extra: pip install "sql-codegen-slm[mistral]"')

from transformers import AutoTokenizer
from sql_codegen_slm.data import read_records, tokenize_record, build_datasets
from sql_codegen_slm.prompts import PromptFormat, render_mistral, use_prompt_format
from sql_codegen_slm.tokenizer import build_mistral_tokenizer, sp_mismatches, token_lengths, length_stats

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory):
    return build_mistral_tokenizer(tmp_path_factory.mktemp("tok") / "mistral-7b-tokenizer")


@pytest.fixture(scope="module")
def tok(tok_dir):
    return AutoTokenizer.from_pretrained(tok_dir)


@pytest.fixture(scope="module")
def fmt(tok):
    use_prompt_format(tok)  # no chat template: the Mistral format
    return PromptFormat(tok)


@pytest.fixture(scope="module")
def records():
    return read_records("sample:train.jsonl") + read_records("sample:val.jsonl")


def test_loads_like_the_hub_tokenizer(tok_dir, tok):
    from sql_codegen_slm.model import load_tokenizer
    assert len(tok) == 32000
    assert tok.convert_tokens_to_ids(["<unk>", "<s>", "</s>"]) == [0, 1, 2]
    ids = tok("SELECT 1;")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] != tok.eos_token_id  # BOS added, EOS not
    assert tok.pad_token is None and load_tokenizer(str(tok_dir)).pad_token == "<unk>"
    cfg = json.loads((tok_dir / "tokenizer_config.json").read_text())
    assert cfg["tokenizer_class"] == "LlamaTokenizer" and cfg["legacy"] is True
    before = (tok_dir / "tokenizer.json").stat().st_mtime_ns
    assert build_mistral_tokenizer(tok_dir) == tok_dir and (tok_dir / "tokenizer.json").stat().st_mtime_ns == before


def test_fast_encodes_like_sentencepiece_on_sample_data(tok, records):
    texts = [render_mistral(r["messages"], bos="", eos="") for r in records]
    assert len(texts) > 900
    assert sp_mismatches(tok, texts) == []


def test_prompt_answer_boundary(tok, fmt, records):
    assert fmt.kind == "mistral" and fmt.stop_ids == [tok.eos_token_id]
    for r in records:
        m = r["messages"]
        assert fmt.prompt(m) + fmt.completion(m) == render_mistral(m)
        whole = tok(render_mistral(m), add_special_tokens=False)["input_ids"]
        p = tok(fmt.prompt(m), add_special_tokens=False)["input_ids"]
        row = tokenize_record(fmt, m, 4096)
        assert row["input_ids"] == whole, f"line {r['_line']}: split tokenization differs from the whole text"
        assert whole[:len(p)] == p
        first = row["labels"].index(next(l for l in row["labels"] if l != -100))
        assert first == len(p) and all(l == -100 for l in row["labels"][:first])
        assert tok.decode(row["input_ids"][first:]) == m[-1]["content"] + "</s>"  # labels: exactly the SQL and EOS
        assert row["labels"][-1] == tok.eos_token_id and row["input_ids"][0] == tok.bos_token_id
        assert tok.decode(whole, skip_special_tokens=True) == fmt.prompt(m)[3:] + " " + m[-1]["content"]


def test_truncation_keeps_bos_and_the_answer(tok, fmt, records):
    m = records[0]["messages"]
    row = tokenize_record(fmt, m, 64, truncate=True)
    assert row["cut"] and len(row["input_ids"]) == 64 and row["input_ids"][0] == tok.bos_token_id
    assert tok.decode([i for i, l in zip(row["input_ids"], row["labels"]) if l != -100]) == m[-1]["content"] + "</s>"
    assert tokenize_record(fmt, m, 64) is None  # without truncation an over-long row is left out, never cut


def test_build_datasets_counts_real_tokens(tok_dir, tok):
    from sql_codegen_slm.config import load_config
    cfg = load_config("smoke", [f"model.name={tok_dir}", "data.train_file=sample:train.jsonl",
                                "data.val_file=sample:val.jsonl", "data.max_samples_train=null",
                                "data.max_samples_val=null", "model.max_seq_length=4096"])
    train, val, stats = build_datasets(cfg, tok)
    lens = token_lengths(tok, "sample:train.jsonl")["total"] + token_lengths(tok, "sample:val.jsonl")["total"]
    assert stats.truncated == 0 and stats.max_tokens == max(lens) == length_stats(lens)["max"]
    assert len(train) + len(val) == len(lens)


def test_missing_mistral_common_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['mistral_common'] = None\n"
            "from sql_codegen_slm.tokenizer import build_mistral_tokenizer\n"
            f"build_mistral_tokenizer({str(tmp_path / 't')!r})")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode != 0
    assert 'pip install "sql-codegen-slm[mistral]"' in r.stderr, r.stderr[-2000:]
    assert not (tmp_path / "t").exists()
