"""SIGTERM and Ctrl-C are a save: a real `sql-codegen-train` process on the embedded model, signalled mid-run, saves a
checkpoint at the step it was on, mirrors it, releases its lock and exits 75 with one line; the same command resumes.
A second Ctrl-C stops at once, still in one line. A finished run run again writes nothing."""
import os, signal, subprocess, sys, time
from pathlib import Path

import pytest

from sql_codegen_slm import storage

ROOT = Path(__file__).resolve().parent.parent


def _cmd(out, remote, steps):
    return [sys.executable, "-m", "sql_codegen_slm.train", "--config", "smoke", "--output_dir", str(out),
            "--remote_dir", str(remote), "--set", f"training.max_steps={steps}", "--set", "training.save_steps=100000",
            "--set", "training.eval_strategy=no", "--set", "logging.report_to=[]",
            "--set", "logging.extract_representations_every_steps=null", "--set", "logging.logging_steps=1"]


def _start(out, remote, steps=100000):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(_cmd(out, remote, steps), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_step(out: Path, step: int, proc, timeout=180):
    t0 = time.time()
    while time.time() - t0 < timeout:
        log = out / "run.log"
        if log.exists() and f"step {step}: loss=" in log.read_text(): return
        if proc.poll() is not None: raise AssertionError(f"exited early: {proc.communicate()}")
        time.sleep(0.2)
    raise AssertionError(f"no step {step} within {timeout} s")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_saves_the_current_step_and_the_same_command_resumes(tmp_path, sig):
    out, remote = tmp_path / "run", tmp_path / "remote"
    p = _start(out, remote)
    _wait_for_step(out, 3, p)
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 75, (p.returncode, stderr[-3000:])
    last = stderr.strip().splitlines()[-1]
    name = signal.Signals(sig).name
    assert last.startswith(f"sql-codegen-train: {name} at step ") and "run the same command again" in last, last
    assert "Traceback" not in stderr, stderr[-3000:]
    step = int(last.split(" at step ")[1].split(":")[0])
    assert step >= 3
    ckpt = out / f"checkpoint-{step}"
    assert storage.checkpoint_problems(ckpt) == []  # whole, and loadable as resume will load it
    assert f"and {remote}" in last and step in [c["step"] for c in storage.list_checkpoints(str(remote))]
    assert not (out / ".run.lock").exists()  # the lock is released (and the lease: the rerun takes the run)
    assert f"{name} at step {step}" in (out / "run.log").read_text()
    assert not (out / "final").exists()  # an interrupted run is not finished
    if sig == signal.SIGINT: return  # the resume below is the same code after either signal: once is CI time enough
    # the same command (with an end in sight) resumes from that checkpoint
    p2 = _start(out, remote, steps=step + 2)
    _, err2 = p2.communicate(timeout=300)
    assert p2.returncode == 0, err2[-3000:]
    assert f"resuming from local {ckpt}" in err2, err2[-3000:]
    assert (out / "final" / "FINISHED.json").is_file()


def test_a_second_ctrl_c_stops_at_once_in_one_line(tmp_path):
    out, remote = tmp_path / "run", tmp_path / "remote"
    p = _start(out, remote)
    _wait_for_step(out, 2, p)
    p.send_signal(signal.SIGINT); p.send_signal(signal.SIGINT)
    _, stderr = p.communicate(timeout=120)
    assert p.returncode == 75, (p.returncode, stderr[-3000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("sql-codegen-train: ") and "run the same command again" in last, last
    assert not (out / ".run.lock").exists()


def test_a_finished_run_run_again_writes_nothing(tmp_path):
    out, remote = tmp_path / "run", tmp_path / "remote"
    p = _start(out, remote, steps=3)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    snap = lambda d: sorted((str(x.relative_to(d)), x.stat().st_mtime_ns, x.stat().st_size) for x in d.rglob("*"))
    before, before_remote = snap(out), snap(remote)
    p = _start(out, remote, steps=3)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    assert "already finished at step 3 (the planned 3 steps were done): nothing to do" in err, err[-2000:]
    assert snap(out) == before and snap(remote) == before_remote
    # on a new runtime with an empty disk, the remote's marker says the same
    import shutil; shutil.rmtree(out)
    p = _start(out, remote, steps=3)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0 and "already finished at step 3" in err, err[-2000:]
    assert snap(remote) == before_remote
