"""scripts/run_validation.sh and scripts/run_training.sh: verdict and exit status of the suite on this machine, a broken
config caught, the full preset refused without a GPU."""
import json, os, subprocess, sys
from pathlib import Path
import pytest, torch

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHON": sys.executable, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _run(script, *args, timeout=900):
    return subprocess.run(["bash", str(REPO / "scripts" / script), *args], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("script", ["run_validation.sh", "run_training.sh"])
def test_help_and_executable(script):
    assert os.access(REPO / "scripts" / script, os.X_OK)
    r = _run(script, "--help", timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("Usage: scripts/" + script), r.stdout + r.stderr


def test_run_validation_passes(tmp_path):
    r = _run("run_validation.sh", "--output_dir", str(tmp_path / "val"), "--set", "training.max_steps=4",  # CPU time
             "--set", "training.save_steps=2", "--set", "training.eval_steps=4")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "VALIDATION PASSED" in r.stdout and "environment:" in r.stdout
    rep = json.loads((tmp_path / "val" / "report.json").read_text())
    assert rep["passed"] and any(c["name"] == "resume" and c["status"] == "passed" for c in rep["checks"])
    if not torch.cuda.is_available(): assert "skipped quantization" in r.stdout  # a skip is shown, never counted as passed


def test_run_validation_fails_on_broken_config(tmp_path):
    r = _run("run_validation.sh", "--output_dir", str(tmp_path / "bad"), "--set", "lora.target_modules=[nosuch]")
    assert r.returncode == 1, (r.stdout + r.stderr)[-3000:]
    assert "VALIDATION FAILED" in r.stdout and "failure point: preflight" in r.stdout, r.stdout  # before any model
    assert "lora.target_modules=['nosuch'] names no Linear module" in r.stdout, r.stdout
    assert "what to do:" in r.stdout
    assert json.loads((tmp_path / "bad" / "report.json").read_text())["passed"] is False


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_run_training_refuses_full_without_gpu(tmp_path):
    r = _run("run_training.sh", "--config", "full", "--output_dir", str(tmp_path / "full"), timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "REFUSED: no GPU" in r.stderr and "run_validation.sh" in r.stderr, r.stderr
    assert not (tmp_path / "full").exists()  # nothing started


def test_run_training_refuses_bad_config(tmp_path):
    r = _run("run_training.sh", "--config", "smoke", "--set", "training.no_such_key=1", timeout=120)
    assert r.returncode == 2 and "REFUSED: config smoke" in r.stderr, r.stdout + r.stderr


def test_run_training_finished_not_mirrored_is_exit_3(tmp_path):
    "The remote goes away after checkpoint 2: the trainer finishes locally (its exit 3), reported as such, not as failed"
    import threading, time
    sys.path.insert(0, str(REPO / "tests"))
    from gcs_emulator import free_port, start_emulator, stop_emulator
    port, out = free_port(), tmp_path / "out"
    emu = start_emulator(port, tmp_path / "gcs")
    env = {**ENV, "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}", "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    try:
        mk = "from sql_codegen_slm.remote import fs_for; fs_for('gs://gone')[0].mkdir('gone')"
        subprocess.run([sys.executable, "-c", mk], env=env, check=True, timeout=60)
        def stop_when_saved():
            while not (out / "checkpoint-2").exists(): time.sleep(0.05)
            stop_emulator(emu)
        threading.Thread(target=stop_when_saved, daemon=True).start()
        r = subprocess.run(["bash", str(REPO / "scripts" / "run_training.sh"), "--config", "smoke", "--output_dir",
                            str(out), "--remote_dir", "gs://gone/run", "--mirror_timeout", "5", "--no_preflight",
                            "--set", "training.max_steps=4", "--set", "training.save_steps=2",
                            "--set", "logging.report_to=[]"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=600)
    finally: stop_emulator(emu)
    assert r.returncode == 3, (r.stdout + r.stderr)[-3000:]
    assert "TRAINING FAILED" not in r.stdout and "NOT MIRRORED" in r.stdout, r.stdout[-3000:]
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("When the remote is reachable again, run: ") and "storage sync" in last, last
    assert str(out) in last and "gs://gone/run" in last, last
    assert (out / "final" / "adapter_model.safetensors").exists()
