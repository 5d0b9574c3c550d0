"""Issue "Lose nothing, ever": resume past damaged checkpoints (local or remote), never overwrite a run, one run per
directory (local lock, remote lease), checkpoint integrity that agrees with resume, a remote that is wrong or goes
away, and no token in anything written. Real Trainer runs on the embedded tiny model; gs:// on the GCS emulator."""
import hashlib, json, os, shutil, signal, socket, subprocess, sys, textwrap, threading, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
from gcs_emulator import free_port, gcs_bucket, start_emulator, stop_emulator
import pytest

from sql_codegen_slm import storage
from sql_codegen_slm.config import load_config
from sql_codegen_slm.runlock import RunLock, RunLocked
from sql_codegen_slm.run import RunDir, sync_run
from sql_codegen_slm.train import RunExists, RemoteUnavailable, train, _parser, EXIT_NOT_MIRRORED


# mechanics only: no SQL metrics (a PostgreSQL and generation at each evaluation) and no representations (~2.5 s of a 5 s run)
LEAN = ["logging.sql_eval_samples=0", "logging.extract_representations_every_steps=null"]


def _cfg(out, steps=4, *extra):
    return load_config("smoke", [f"training.output_dir={out}", f"training.max_steps={steps}", "training.save_steps=2",
                                 "training.eval_steps=2", "logging.report_to=[]", *LEAN, *extra])


def _digest(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in (".run.lock", "_LEASE.json")}


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    "A finished 4-step run (checkpoints 2 and 4) mirrored to a local-path remote."
    d = tmp_path_factory.mktemp("base")
    r = train(_cfg(d / "run"), remote_dir=str(d / "remote"))
    assert r.global_step == 4 and not r.not_mirrored
    return d


@pytest.fixture
def run(base_run, tmp_path):
    shutil.copytree(base_run / "run", tmp_path / "run")
    shutil.copytree(base_run / "remote", tmp_path / "remote")
    return tmp_path / "run", str(tmp_path / "remote")


# --- case 1: a damaged newest local checkpoint is skipped; the remote copy of the same step wins --------------------
DAMAGE = {
    "truncated adapter": lambda d: (d / "adapter_model.safetensors").write_bytes((d / "adapter_model.safetensors").read_bytes()[:-50]),
    "no trainer_state": lambda d: (d / "trainer_state.json").unlink(),
    "garbage optimizer": lambda d: (d / "optimizer.pt").write_bytes(b"\x80garbage" * 200),
    "empty folder": lambda d: [p.unlink() for p in d.iterdir()],
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_local_checkpoint_resumes_from_remote_copy(run, damage):
    out, remote = run
    DAMAGE[damage](out / "checkpoint-4")
    path, msgs = RunDir(out, remote).resolve_resume("latest")
    assert Path(path) == out / "checkpoint-4" and storage.checkpoint_problems(path) == []
    assert msgs[0].startswith("skipped local checkpoint-4: ") and "moved to" in msgs[0], msgs
    assert msgs[-1].startswith(f"resuming from {remote}/checkpoint-4"), msgs
    assert not any("weights_only=False" in m for m in msgs)
    assert len(list((out / ".corrupt").iterdir())) == 1  # kept as evidence, not deleted


def test_damaged_local_without_remote_falls_back_and_training_continues(run):
    out, _ = run
    DAMAGE["garbage optimizer"](out / "checkpoint-4")
    r = train(_cfg(out, 6))  # the same command, more steps: resumes from checkpoint-2, the newest that can be resumed
    assert r.resumed_from == str(out / "checkpoint-2"), r.resume_messages
    assert "optimizer.pt corrupt: cannot be loaded safely" in r.resume_messages[0]
    assert r.global_step == 6


def test_damaged_remote_copy_is_skipped_too(run):
    out, remote = run
    DAMAGE["garbage optimizer"](out / "checkpoint-4")
    fs, root = storage.fs_for(remote)
    good = fs.cat_file(f"{root}/checkpoint-4/optimizer.pt")
    shutil.copy(out / "checkpoint-4" / "optimizer.pt", Path(root) / "checkpoint-4" / "optimizer.pt")  # garbage, same size? no:
    storage.upload_checkpoint(out / "checkpoint-4", remote)  # the garbage uploaded with a marker that agrees with it
    path, msgs = RunDir(out, remote).resolve_resume("latest")
    assert Path(path) == out / "checkpoint-2", msgs
    assert [m.split(":")[0] for m in msgs[:2]] == ["skipped local checkpoint-4", "skipped remote checkpoint-4"], msgs
    assert len(good) > 0


# --- case 2: re-running never starts over silently ------------------------------------------------------------------
def test_rerun_resumes_by_default_and_keeps_old_checkpoints(run):
    out, remote = run
    assert _parser().parse_args([]).resume_from_checkpoint == "latest"
    before, before_remote = _digest(out / "checkpoint-2"), _digest(Path(remote) / "checkpoint-2")
    r = train(_cfg(out, 6), remote_dir=remote)  # no resume argument
    assert r.resumed_from == str(out / "checkpoint-4") and r.global_step == 6
    assert _digest(out / "checkpoint-2") == before and _digest(Path(remote) / "checkpoint-2") == before_remote


def test_start_over_needs_the_flag_and_archives(run):
    out, remote = run
    with pytest.raises(RunExists, match=r"checkpoints \[2, 4\].*start_fresh"):
        train(_cfg(out), resume_from_checkpoint=None, remote_dir=remote)
    old, old_remote = _digest(out), _digest(Path(remote))
    r = train(_cfg(out, 2), remote_dir=remote, start_fresh=True)
    assert r.resumed_from is None and any("moved the previous run" in m for m in r.resume_messages)
    arch = [p for p in out.parent.iterdir() if p.name.startswith("run.archived-")]
    arch_remote = [p for p in out.parent.iterdir() if p.name.startswith("remote.archived-")]
    assert len(arch) == 1 and _digest(arch[0]) == old
    assert len(arch_remote) == 1 and _digest(arch_remote[0]) == old_remote
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2"]


# --- case 3: one run per directory ------------------------------------------------------------------------------------
HOLD = textwrap.dedent("""
    import sys, time
    from sql_codegen_slm.runlock import RunLock
    lock = RunLock(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None).acquire()
    print("locked", flush=True); time.sleep(120)
""")


def _holder(*args):
    p = subprocess.Popen([sys.executable, "-c", HOLD, *map(str, args)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_run_fails_at_once_naming_the_first_then_takes_over_a_dead_one(tmp_path):
    with gcs_bucket("lease-bucket"):
        remote = "gs://lease-bucket/run"
        first = _holder(tmp_path / "out", remote)
        try:
            t0 = time.time()
            with pytest.raises(RunLocked, match=rf"pid {first.pid} on host {socket.gethostname()}, started"):
                train(_cfg(tmp_path / "out"))
            with pytest.raises(RunLocked, match=rf"{remote} is in use by another run: pid {first.pid}"):
                RunLock(tmp_path / "elsewhere", remote).acquire()  # another output dir, the same remote
            assert time.time() - t0 < 10
        finally:
            first.send_signal(signal.SIGKILL); first.wait()
        with RunLock(tmp_path / "out", remote) as lock:  # the holder died: both taken over, with a warning each
            assert len(lock.warnings) == 2 and all(f"pid {first.pid}" in w and "is gone" in w for w in lock.warnings)


def test_two_smokes_in_one_directory(tmp_path):
    from sql_codegen_slm.smoke import run_smoke_test
    first = _holder(tmp_path / "smoke")
    try:
        with pytest.raises(RunLocked, match=f"pid {first.pid}"):
            run_smoke_test(load_config("smoke"), tmp_path / "smoke")
    finally:
        first.kill(); first.wait()


# --- case 4: integrity check agrees with resume ----------------------------------------------------------------------
def test_check_checkpoints_flags_a_checkpoint_that_cannot_be_resumed(run):
    from sql_codegen_slm.checkpoint_check import check_checkpoints
    out, _ = run
    DAMAGE["garbage optimizer"](out / "checkpoint-4")
    r = check_checkpoints(out)
    st = {f.name: f.status for f in r}
    assert st == {"checkpoint-2": "passed", "checkpoint-4": "failed", "final": "passed"}, r
    assert r[1].message.startswith("cannot be resumed: optimizer.pt corrupt")


# --- case 7: a remote that is wrong, or goes away -------------------------------------------------------------------
def test_wrong_bucket_fails_before_training(tmp_path):
    with gcs_bucket("some-bucket"):
        t0 = time.time()
        with pytest.raises(RemoteUnavailable, match="gs://nonexistent-bucket/x: not found.*bucket"):
            train(_cfg(tmp_path / "out"), remote_dir="gs://nonexistent-bucket/x")
        assert time.time() - t0 < 30 and not (tmp_path / "out" / "checkpoint-2").exists()
        from sql_codegen_slm.smoke import run_smoke_test
        rep = run_smoke_test(load_config("smoke"), tmp_path / "smoke", "gs://nonexistent-bucket/x")
        assert rep.failure_point == "preflight" and "not found" in rep.checks[0].message
        assert not (tmp_path / "smoke" / "reference").exists()  # no reference training was paid for


def test_remote_gone_at_the_end_finishes_locally_with_a_sync_command(tmp_path):
    from sql_codegen_slm.train import main
    port, data = free_port(), tmp_path / "gcs"
    emu = start_emulator(port, data)
    os.environ["STORAGE_EMULATOR_HOST"] = f"http://127.0.0.1:{port}"
    try:
        storage.fs_for("gs://gone-bucket")[0].mkdir("gone-bucket")
        out, remote = tmp_path / "out", "gs://gone-bucket/run"
        def kill_when_saved():
            while not (out / "checkpoint-2").exists(): time.sleep(0.05)
            stop_emulator(emu)
        threading.Thread(target=kill_when_saved, daemon=True).start()
        t0 = time.time()
        code = main(["--config", "smoke", "--output_dir", str(out), "--remote_dir", remote, "--mirror_timeout", "5",
                     "--set", "training.max_steps=4", "--set", "training.save_steps=2", "--set", "logging.report_to=[]",
                     *[a for s in LEAN for a in ("--set", s)]])
        wall = time.time() - t0
        assert code == EXIT_NOT_MIRRORED and wall < 120, (code, wall)
        assert (out / "final" / "adapter_model.safetensors").exists()
        emu = start_emulator(port, data)  # the remote is back: the printed command catches up
        sync_run(out, remote)
        steps = [c["step"] for c in storage.list_checkpoints(remote) if c["complete"]]
        assert steps == [2, 4] and storage.fs_for(remote + "/final/_COMPLETE")[0].exists(storage.fs_for(remote + "/final/_COMPLETE")[1])
    finally:
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
        stop_emulator(emu)


# --- case 9: no token in anything written --------------------------------------------------------------------------
def test_hub_token_is_never_written(tmp_path):
    secret = "hf_" + "Zq9" * 12
    train(_cfg(tmp_path / "out", 2, f"training.hub_token={secret}"), remote_dir=str(tmp_path / "remote"))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 10
    leaks = [str(p) for p in files if secret.encode() in p.read_bytes()]
    assert leaks == [], leaks
