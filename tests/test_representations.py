"""Representations of a real 4-step run mirrored to a remote: the monitor names a deleted layer file and a truncated one
(also through its CLI), `storage sync` redoes an upload cut short, a resumed session writes no step twice, and the
drift command writes its table and heatmap."""
import json, os, shutil, time
from pathlib import Path

import pytest

from sql_codegen_slm.findings import exit_code
from sql_codegen_slm.monitor import check_run
from sql_codegen_slm.representations import MARKER, REP_DIR, local_steps, remote_steps, step_name


def _cfg(out, steps=4):
    from sql_codegen_slm.config import load_config
    return load_config("smoke", [f"training.output_dir={out}", f"training.max_steps={steps}", "training.save_steps=2",
                                 "training.eval_steps=2", "logging.report_to=[]", "data.max_samples_train=8",
                                 "data.max_samples_val=4", "logging.extract_representations_every_steps=2",
                                 "logging.representation_probe_size=3", "data.val_file=sample:train.jsonl"])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    "A 4-step run (checkpoints and representations every 2 steps) mirrored to a local remote directory."
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error(); hf_logging.disable_progress_bar()
    from sql_codegen_slm.train import train
    d = tmp_path_factory.mktemp("reps")
    t0 = time.time()
    res = train(_cfg(d / "run"), remote_dir=str(d / "remote"))
    print(f"4-step run with representations: {time.time() - t0:.1f} s")
    return Path(res.output_dir), d / "remote"


def _rep_flags(found):
    return [(f.name, f.figures["step"], f.status) for f in found if f.name.startswith("representations")]


def test_healthy_run_local_and_remote(run):
    local, remote = run
    assert local_steps(local / REP_DIR) == {0: True, 2: True, 4: True}
    assert remote_steps(remote) == {0: True, 2: True, 4: True}
    for url in (local, remote):
        assert _rep_flags(check_run(url)) == [("representations", 4, "passed")]


def test_monitor_names_deleted_and_truncated_layer_files(run, tmp_path, capsys):
    src, _ = run
    bad = tmp_path / "run"
    shutil.copytree(src, bad)
    (bad / REP_DIR / step_name(2) / "layer_1.safetensors").unlink()
    f = bad / REP_DIR / step_name(4) / "layer_2.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    (bad / REP_DIR / step_name(0) / "layer_0.safetensors").write_bytes(b"")  # empty
    found = check_run(bad)
    assert _rep_flags(found) == [("representations_unreadable", 0, "failed"),
                                 ("representations_layer_missing", 2, "failed"),
                                 ("representations_unreadable", 4, "failed")], _rep_flags(found)
    msgs = " | ".join(f.message for f in found)
    assert "layer_1.safetensors" in msgs and "layer_2.safetensors" in msgs and exit_code(found) == 2
    from sql_codegen_slm.monitor import main  # in process: test_monitor runs the CLI's subprocess
    assert main([str(bad)]) == 2 and "representations_layer_missing" in capsys.readouterr().out


def test_sync_redoes_a_cut_upload_and_a_resume_writes_nothing_twice(run, tmp_path):
    from sql_codegen_slm.remote import fs_for
    from sql_codegen_slm.run import sync_run
    from sql_codegen_slm.train import train
    src, remote_src = run
    local, remote = tmp_path / "run", tmp_path / "remote"
    shutil.copytree(src, local); shutil.copytree(remote_src, remote)
    (remote / REP_DIR / step_name(2) / MARKER).unlink()  # an upload killed before its marker
    assert ("representations_incomplete", 2, "warning") in _rep_flags(check_run(remote))
    assert f"{REP_DIR}/{step_name(2)}" in sync_run(local, str(remote))
    assert remote_steps(remote) == {0: True, 2: True, 4: True}
    # six steps, resumed from checkpoint-4 on an empty disk: only step 6 is new
    before = {s: json.loads((remote / REP_DIR / step_name(s) / "metadata.json").read_text()) for s in (0, 2, 4)}
    shutil.rmtree(local)
    res = train(_cfg(local, steps=6), remote_dir=str(remote))
    assert res.resumed_from.endswith("checkpoint-4") and res.global_step == 6
    after = {s: json.loads((remote / REP_DIR / step_name(s) / "metadata.json").read_text()) for s in (0, 2, 4, 6)}
    assert all(after[s] == before[s] for s in before)  # not rewritten
    assert after[6]["pid"] == os.getpid() and after[6]["adapter_hash"] != after[4]["adapter_hash"]
    assert local_steps(local / REP_DIR) == {6: True}
    assert _rep_flags(check_run(remote)) == [("representations", 6, "passed")]


def test_drift_command_writes_table_and_heatmap(run, tmp_path):
    _, remote = run
    from sql_codegen_slm.drift import main
    assert main([str(remote), "--out", str(tmp_path / "d")]) == 0
    rows = json.loads((tmp_path / "d" / "drift.json").read_text())["rows"]
    assert sorted({x["step"] for x in rows}) == [0, 2, 4] and (tmp_path / "d" / "drift.png").stat().st_size > 1000
    assert all(x["cka"] < 1 for x in rows if x["step"] == 4 and x["layer"] > 0)
    assert len((tmp_path / "d" / "drift.csv").read_text().splitlines()) == len(rows) + 1
