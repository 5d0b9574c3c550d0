"""`sql-codegen-drift` on a synthetic run (steps 0, 2, 4 of four layers, written by `representations.write_step`): each
exit code it documents, a truncated layer file named as a failed finding (the other steps still drawn), and inputs it
cannot use as one line."""
import json
from pathlib import Path

import pytest
import torch

from sql_codegen_slm.drift import main
from sql_codegen_slm.representations import MARKER, REP_DIR, probe_hash, step_name, write_step


@pytest.fixture
def run(tmp_path):
    g = torch.Generator().manual_seed(0)
    base = {i: torch.randn(8, 16, generator=g) for i in range(4)}
    probes = [dict(id=str(k), messages=[dict(role="user", content=f"probe {k}")]) for k in range(8)]
    for s in (0, 2, 4):
        reps = {i: {k: (b if i == 0 else b + 0.1 * s * i * torch.randn(8, 16, generator=g)).to(torch.bfloat16)
                    for k in ("mean", "last")} for i, b in base.items()}
        write_step(tmp_path / "run" / REP_DIR, s, reps, dict(
            step=s, base=s == 0, n_layers=4, pooling=["mean", "last"], dtype="bfloat16",
            probe_ids=[p["id"] for p in probes], probe_hash=probe_hash(probes),
            shapes={f"layer_{i}": {k: [8, 16] for k in ("mean", "last")} for i in range(4)}))
    return tmp_path / "run"


def _steps(out): return sorted({r["step"] for r in json.loads((out / "drift.json").read_text())["rows"]})


def test_exit_codes(run, tmp_path, capsys):
    assert main([str(run), "--out", str(tmp_path / "a")]) == 0 and _steps(tmp_path / "a") == [0, 2, 4]
    (run / REP_DIR / step_name(2) / MARKER).unlink()  # an interval without its marker: a warning
    assert main([str(run), "--out", str(tmp_path / "b")]) == 1 and _steps(tmp_path / "b") == [0, 4]
    assert main([str(tmp_path / "nope")]) == 2


def test_truncated_layer_file_is_a_failed_finding_naming_it(run, tmp_path, capsys):
    "Once: a passing finding, then a SafetensorError traceback."
    f = run / REP_DIR / step_name(2) / "layer_1.safetensors"
    f.write_bytes(f.read_bytes()[:-100])
    assert main([str(run), "--out", str(tmp_path / "d")]) == 2
    cap = capsys.readouterr()
    line = next(l for l in cap.out.splitlines() if "drift_step_unreadable" in l)
    assert line.startswith("FAILED") and str(f) in line and "Traceback" not in cap.err, cap
    assert _steps(tmp_path / "d") == [0, 4]  # the rest is still drawn
    (run / REP_DIR / step_name(0) / "layer_0.safetensors").write_bytes(b"")  # the base: nothing compares
    assert main([str(run), "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sql-codegen-drift: error: ") and "layer_0.safetensors" in err[0], err


@pytest.mark.parametrize("how", ["missing_run", "out_is_a_file", "out_under_a_file", "bad_pooling", "no_base"])
def test_inputs_it_cannot_use_are_one_line(run, tmp_path, capsys, how):
    (tmp_path / "afile").write_text("x")
    args = {"missing_run": [str(tmp_path / "nope")], "out_is_a_file": [str(run), "--out", str(tmp_path / "afile")],
            "out_under_a_file": [str(run), "--out", str(tmp_path / "afile" / "d")],
            "bad_pooling": [str(run), "--pooling", "max"], "no_base": [str(run)]}[how]
    if how == "no_base": (run / REP_DIR / step_name(0) / MARKER).unlink()
    try: rc = main(args)
    except SystemExit as e: rc = e.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("sql-codegen-drift: error: "), err
