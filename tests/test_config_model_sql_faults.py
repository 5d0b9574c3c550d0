"Issue 11, cases 5/6/8/9: multi-statement SQL on the real judge, config value types, model load errors, secrets on disk."
import json, os, subprocess, sys, textwrap
from pathlib import Path

import psycopg
import pytest
import yaml

from sql_codegen_slm import config as config_mod
from sql_codegen_slm.config import ConfigError, load_config
from sql_codegen_slm.judge import evaluate, judge
from sql_codegen_slm.postgres import PostgresDatabases, QueryError, check_query

ROOT = Path(__file__).resolve().parents[1]
REDACTED = getattr(config_mod, "REDACTED", "<redacted>")
ENV = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")

# ---- case 5: more than one statement is invalid, never correct, never an exact match; the judge runs none of it
BOOKS_SQL = """
CREATE TABLE books (book_id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER);
INSERT INTO books VALUES (1, 'Dune', 1965), (2, 'Emma', 1815), (3, 'Ubik', 1969);
"""
GOLD = "SELECT COUNT(*) FROM books;"


def _rec(gold=GOLD):
    return {"db_id": "library", "category": None, "messages": [
        {"role": "system", "content": "Write one PostgreSQL query."},
        {"role": "user", "content": "Database: library\nQuestion: How many books are there?"},
        {"role": "assistant", "content": gold}]}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    d = tmp_path_factory.mktemp("schemas")
    (d / "library.sql").write_text(BOOKS_SQL)
    with PostgresDatabases(d, timeout_s=2.0) as dbs:
        dbs.prepare(["library"])
        yield dbs


def _books(dbs):
    "The books table as the superuser sees it (None when it is gone)."
    with psycopg.connect(dbs.admin_conninfo("library")) as c:
        if c.execute("SELECT to_regclass('public.books')").fetchone()[0] is None: return None
        return c.execute("SELECT book_id, title, year FROM books ORDER BY book_id").fetchall()


MULTI = ["SELECT COUNT(*) FROM books; DROP TABLE books;",
         "```sql\nSELECT COUNT(*) FROM books;\nDROP TABLE books;\n```\nThis counts the books.",
         "SELECT COUNT(*) FROM books;\n-- and tidy up\nDELETE FROM books;\nThat is all.",
         "SELECT COUNT(*) FROM books; SELECT COUNT(*) FROM books;"]


def test_multi_statement_prediction_invalid_and_books_survive(library):
    before = _books(library)
    assert before and len(before) == 3
    res = evaluate([_rec()] * len(MULTI), MULTI, None, dbs=library)
    for raw, it in zip(MULTI, res["items"]):
        assert (it["valid"], it["correct"], it["exact_match"], it["normalized_match"]) == (False, False, False, False), (raw, it)
        assert it["verdict"] == "error" and it["error_kind"] == "refused", (raw, it)
        assert it["pred_sql"].count(";") >= 2, (raw, it["pred_sql"])  # the second statement was kept, not dropped
    assert (res["valid_sql_rate"], res["execution_accuracy"], res["exact_match"]) == (0.0, 0.0, 0.0)
    assert _books(library) == before


def test_one_statement_with_prose_still_judged_correct(library):
    "The control: trailing prose is dropped as before, so the same query alone is valid, correct and exact."
    res = evaluate([_rec()] * 2, ["SELECT COUNT(*) FROM books;\nThis counts the books.",
                                  "Here it is:\n```sql\nSELECT COUNT(*) FROM books;\n```\nThen run it."], None, dbs=library)
    assert [(it["valid"], it["correct"], it["exact_match"]) for it in res["items"]] == [(True, True, True)] * 2
    assert res["valid_sql_rate"] == 1.0


def test_judge_and_check_query_refuse_multi_statement(library):
    v = judge(library, _rec(), "SELECT COUNT(*) FROM books; DROP TABLE books;")
    assert (v["correct"], v["verdict"], v["error_kind"]) == (False, "error", "refused")
    with pytest.raises(QueryError) as e: check_query("SELECT 1; SELECT 2")
    assert e.value.kind == "refused" and "2 statements" in e.value.message
    assert _books(library) is not None


# ---- case 6: config values of the wrong type or out of range, from YAML and from overrides

def _yaml_with(tmp_path, **training):
    d = yaml.safe_load(load_config("smoke").to_yaml())
    d["training"].update(training)
    p = tmp_path / "run.yaml"; p.write_text(yaml.safe_dump(d)); return p


BAD = [  # (training key, value, words the error must hold)
    ("learning_rate", "fast", "training.learning_rate: expected a float, got 'fast'"),
    ("max_steps", "ten", "training.max_steps: expected an integer, got 'ten'"),
    ("max_steps", 2.5, "training.max_steps: expected an integer, got 2.5"),
    ("max_steps", True, "training.max_steps: expected an integer, got True"),
    ("learning_rate", False, "training.learning_rate: expected a float, got False"),
    ("lr_scheduler_type", "cosin", "training.lr_scheduler_type: expected one of"),
    ("report_to", 5, "training.report_to"),
    ("report_to", "none", "training.report_to is a logging setting: move it to logging.report_to"),
    ("logging_steps", 10, "move it to logging.logging_steps"),
    ("max_steps", -5, "training.max_steps"),
    ("save_steps", 0, "training.save_steps"),
    ("eval_steps", -1, "training.eval_steps"),
    ("save_steps", 2.5, "training.save_steps"),
]


@pytest.mark.parametrize("key,value,words", BAD)
def test_bad_training_values_yaml(tmp_path, key, value, words):
    p = _yaml_with(tmp_path, **{key: value})
    with pytest.raises(ConfigError) as e: load_config(p)
    assert words in str(e.value) and str(p) in str(e.value)


@pytest.mark.parametrize("key,value,words", BAD)
def test_bad_training_values_override(key, value, words):
    "The `--set` / papermill path: overrides are YAML-parsed strings, as the notebook's `ov` list passes them."
    with pytest.raises(ConfigError) as e: load_config("smoke", [f"training.{key}={value}"])
    assert words in str(e.value)


def test_sensible_values_accepted():
    cfg = load_config("smoke", ["training.learning_rate=1", "training.save_steps=0.25", "training.max_steps=-1",
                                "training.num_train_epochs=2", "training.eval_strategy=no", "training.eval_steps=null",
                                "training.lr_scheduler_type=linear", "logging.report_to=[]"])
    assert cfg.training["learning_rate"] == 1 and cfg.training["save_steps"] == 0.25
    assert load_config("smoke", ["training.save_strategy=no", "training.save_steps=0"]).training["save_steps"] == 0
    with pytest.raises(ConfigError, match="training.num_train_epochs"):
        load_config("smoke", ["training.max_steps=-1", "training.num_train_epochs=0"])
    for preset in ("smoke", "full"): load_config(preset)


def test_yaml_without_training_section(tmp_path):
    d = yaml.safe_load(load_config("smoke").to_yaml()); del d["training"]
    p = tmp_path / "nosection.yaml"; p.write_text(yaml.safe_dump(d))
    with pytest.raises(ConfigError) as e: load_config(p, ["training.output_dir=x"])
    assert str(p) in str(e.value) and "no 'training' section" in str(e.value) and 'load_config("full").to_yaml()' in str(e.value)


def test_train_cli_bad_override_names_key(tmp_path):
    "sql-codegen-train --set training.max_steps=ten stops before anything loads, naming key, value and type."
    r = subprocess.run([sys.executable, "-m", "sql_codegen_slm.train", "--config", "smoke", "--output_dir", str(tmp_path / "o"),
                        "--set", "training.max_steps=ten"], capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path)
    assert r.returncode == 2  # a problem to fix, said in one line, no traceback
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("sql-codegen-train: error: ") and "smoke.yaml" in last and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "training.max_steps: expected an integer, got 'ten'" in last, r.stderr[-2000:]
    assert not (tmp_path / "o").exists()


# ---- case 8: model load errors say what was tried, the real error, and what to do

def test_model_load_errors_explain(tmp_path):
    (tmp_path / "empty_model").mkdir()
    code = textwrap.dedent(f"""
        import json
        from sql_codegen_slm.config import load_config
        from sql_codegen_slm.model import load_model, ModelLoadError
        out = {{}}
        for name in ["/nonexistent/model", {str(tmp_path / 'empty_model')!r}, "mistralai/Mistral-7B-v0.1"]:
            try: load_model(load_config("smoke", [f"model.name={{name}}"])); out[name] = "loaded"
            except ModelLoadError as e: out[name] = str(e)
            except Exception as e: out[name] = f"{{type(e).__name__}}: {{e}}"
        print(json.dumps(out))""")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    missing, empty, hub = out["/nonexistent/model"], out[str(tmp_path / "empty_model")], out["mistralai/Mistral-7B-v0.1"]
    assert "/nonexistent/model" in missing and "does not exist" in missing and "model.name=tiny" in missing, missing
    assert "no config.json" in empty and str(tmp_path / "empty_model") in empty, empty
    assert "mistralai/Mistral-7B-v0.1" in hub and "huggingface-cli login" in hub and "model.name=tiny" in hub, hub
    assert "couldn't connect" in hub.lower() or "offline" in hub.lower(), hub  # the hub library's own words survive
    for m in (missing, empty, hub): assert "CUDA" not in m, m


# ---- case 9: secrets are redacted in what is written, kept in memory, and read back as unset

def test_hub_token_not_written(tmp_path):
    secret = "hf_abcDEF1234567890secret"
    cfg = load_config("smoke", [f"training.hub_token={secret}"])
    p = cfg.save(tmp_path / "checkpoint-10" / "config.yaml")
    text = p.read_text()
    assert secret not in text and f"hub_token: {REDACTED}" in text
    assert secret not in cfg.to_yaml()
    assert cfg.training["hub_token"] == secret  # training still needs it
    back = load_config(p)
    assert back.training["hub_token"] is None
    assert load_config("smoke", [f"training.hub_token={REDACTED}"]).training["hub_token"] is None
    with pytest.raises(ConfigError) as e: load_config("smoke", [f"training.hub_token={secret}", "training.max_steps=ten"])
    assert secret not in str(e.value) and "training.max_steps" in str(e.value)  # nor in an error that quotes the overrides


# ---- the sweep: inputs of the train and smoke commands that once crashed or were silently accepted
def _main(prog, args, cwd, monkeypatch, capfd) -> tuple[int, str]:
    "The command's `main` in this process (the process-level path: test_train_cli_bad_override_names_key): code, stderr."
    import importlib
    monkeypatch.chdir(cwd)
    try: rc = importlib.import_module(f"sql_codegen_slm.{prog}").main(args)
    except SystemExit as e: rc = e.code  # argparse's own usage errors
    return rc, capfd.readouterr().err


@pytest.mark.parametrize("prog", ["train", "smoke"])
@pytest.mark.parametrize("args, words", [
    (["--config", "/tmp"], "config '/tmp' is a directory: pass a YAML file or a preset name"),
    (["--set", "training.output_dir=/etc/hostname"], "training.output_dir /etc/hostname is a file: name a directory"),
    (["--set", "data.prompt_format=chatml"], "data.prompt_format must be one of auto, mistral, chat_template"),
    (["--set", "lora.target_modules=[]"], "lora.target_modules must be auto"),
])
def test_cli_inputs_are_one_line(tmp_path, monkeypatch, capfd, prog, args, words):
    rc, err = _main(prog, args, tmp_path, monkeypatch, capfd)
    last = err.strip().splitlines()[-1]
    assert rc == 2 and "Traceback" not in err and words in last, err[-2000:]
    assert last.startswith(f"sql-codegen-{prog}: error: "), last


@pytest.mark.parametrize("args, words", [
    (["--set", "data.train_file=/tmp"], "/tmp is a directory, not a JSONL file: name the file"),
    (["--mirror_timeout", "nan"], "argument --mirror_timeout: 'nan' is not a positive number of seconds"),
    (["--mirror_timeout", "-1"], "argument --mirror_timeout: '-1' is not a positive number of seconds"),
    (["--resume_from_checkpoint", "/nonexistent/checkpoint-4"], "is not a checkpoint directory"),
])
def test_train_inputs_are_one_line(tmp_path, monkeypatch, capfd, args, words):
    rc, err = _main("train", ["--output_dir", str(tmp_path / "o"), *args], tmp_path, monkeypatch, capfd)
    assert rc == 2 and "Traceback" not in err and words in err.strip().splitlines()[-1], err[-2000:]
