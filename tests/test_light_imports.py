"""The light commands need no model, so they import no torch: each light module imports in a fresh process where torch
cannot be imported, loads none of transformers, peft and bitsandbytes, and each light command prints no bitsandbytes
line (its import logs `Failed to load CPU gemm_4bit_forward ...` on CPUs with AVX512-BF16)."""
import json, subprocess, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sql_codegen_slm" / "sample_data"
LIGHT = ("preflight", "environment", "monitor", "estimate", "datagen", "teacher_client", "datagen_report", "postgres",
         "judge", "sql_eval", "data", "teacher", "corpus_tables", "sqlite_pg", "corpora", "card")
HEAVY = ("torch", "transformers", "peft", "bitsandbytes")
NO_TORCH = "import sys; sys.modules['torch'] = None\n"


def _py(code, *args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=timeout)


def _no_bnb(r):
    "No line of bitsandbytes' import warning on stdout or stderr."
    for line in (r.stdout + r.stderr).splitlines():
        assert "gemm_4bit" not in line and "kernels-community" not in line, line


@pytest.mark.parametrize("mod", LIGHT)
def test_imports_without_torch(mod):
    r = _py(NO_TORCH + f"import sql_codegen_slm.{mod}\n"
            f"print([m for m in {HEAVY!r} if sys.modules.get(m) is not None])")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
    _no_bnb(r)


def _cli(mod, *args, no_torch=False, cwd=None):
    "The console script of `mod` (what setup.py's entry point runs), in a fresh process."
    return _py((NO_TORCH if no_torch else "import sys\n") + f"from sql_codegen_slm.{mod} import main\n"
               "sys.exit(main(sys.argv[1:]))", *args, cwd=cwd)


def test_preflight_without_torch():
    "Preflight's own finding for a machine without torch can be shown: the protocol stops there, exit 2."
    r = _cli("preflight", "--config", "smoke", "--no-remote", "--json", no_torch=True)
    assert r.returncode == 2, r.stderr[-2000:]
    found = {f["name"]: f for f in json.loads(r.stdout)["findings"]}
    assert (found["torch"]["status"], found["torch"]["message"]) == ("failed", "not installed")
    _no_bnb(r)


def test_preflight_smoke_prints_no_bitsandbytes_line():
    r = _cli("preflight", "--config", "smoke", "--no-remote")
    assert r.returncode in (0, 1), r.stdout[-2000:] + r.stderr[-2000:]
    _no_bnb(r)


def test_monitor_prints_no_bitsandbytes_line(tmp_path):
    sys.path.insert(0, str(REPO / "tests"))
    from test_monitor import _healthy, _hist, make_run
    make_run(tmp_path / "run", _hist(_healthy(40)), [20, 40], 40)
    r = _cli("monitor", tmp_path / "run", no_torch=True)
    assert r.returncode == 0 and "no red flags" in r.stdout, r.stdout + r.stderr[-2000:]
    _no_bnb(r)


def test_estimate_prints_no_bitsandbytes_line():
    r = _py(NO_TORCH + "from sql_codegen_slm.config import load_config\nfrom sql_codegen_slm.estimate import "
            "estimate_run\nprint(estimate_run(load_config('smoke'), gpu='A100-40GB')['summary'])")
    assert r.returncode == 0 and "full run" in r.stdout, r.stderr[-2000:]
    _no_bnb(r)


def test_datagen_prints_no_bitsandbytes_line(tmp_path):
    r = _cli("datagen", "--schemas", SAMPLE / "schemas", "--out", tmp_path / "d.jsonl", "--total", 5,
             "--budget-usd", 1, "--model", "gpt-4o-mini", "--dry-run", no_torch=True)
    assert r.returncode == 0 and "worst case" in r.stdout, r.stderr[-2000:]
    _no_bnb(r)


def test_judge_prints_no_bitsandbytes_line(tmp_path):
    "sql-codegen-eval judging given predictions: no model, no torch."
    gold = SAMPLE.joinpath("val.jsonl").read_text().splitlines()[:3]
    (tmp_path / "g.jsonl").write_text("\n".join(gold) + "\n")
    (tmp_path / "p.jsonl").write_text("".join(json.dumps({"sql": json.loads(l)["messages"][-1]["content"]}) + "\n"
                                              for l in gold))
    r = _cli("sql_eval", "--gold", tmp_path / "g.jsonl", "--predictions", tmp_path / "p.jsonl", "--db-sql",
             SAMPLE / "schemas", no_torch=True)
    assert r.returncode == 0 and "execution_accuracy    100.0%" in r.stdout, r.stdout + r.stderr[-2000:]
    _no_bnb(r)


def test_data_import_runs_without_torch(tmp_path):
    "sql-codegen-data import: a CSV with CREATE TABLE contexts checked on PostgreSQL, no model, no torch."
    (tmp_path / "t.csv").write_text("question,context,answer\nHow many heads?,CREATE TABLE head (age INTEGER),"
                                    "SELECT COUNT(*) FROM head\n")
    r = _cli("corpora", "import", tmp_path / "t.csv", "--out", tmp_path / "out", no_torch=True)
    assert r.returncode == 0 and "kept: **1** of 1" in r.stdout, r.stdout + r.stderr[-2000:]
    _no_bnb(r)
