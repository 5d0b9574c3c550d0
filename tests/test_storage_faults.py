"""Storage and checkpoint-mirroring faults against a real GCS emulator (gcp-storage-emulator on 127.0.0.1, via gcsfs):
round trip, SIGKILL during an upload, the emulator going away mid-run and coming back, a truncated adapter, NaN loss."""
import json, logging, os, signal, subprocess, sys, threading, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported: its experimental path hangs on the emulator
from gcs_emulator import free_port, gcs_bucket, start_emulator, stop_emulator
import pytest, torch
from safetensors.torch import load_file, save_file
from transformers import MistralConfig, MistralForCausalLM, Trainer, TrainerCallback, TrainingArguments
from transformers.utils import logging as hf_logging

from sql_codegen_slm import storage
from sql_codegen_slm.callbacks import CheckpointMirrorCallback, RedFlagCallback
from sql_codegen_slm.run import RunDir

hf_logging.set_verbosity_error()
BUCKET = "test-bucket"


def _make_bucket(name=BUCKET):
    fs, _ = storage.fs_for(f"gs://{name}")
    try: fs.mkdir(name)
    except FileExistsError: pass


@pytest.fixture(scope="module")
def emulator():
    with gcs_bucket(BUCKET): yield f"gs://{BUCKET}"


def _fake_checkpoint(root, step, extra: dict | None = None) -> Path:
    "A checkpoint-like directory with a real safetensors adapter."
    d = Path(root) / f"checkpoint-{step}"
    d.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(step)
    save_file({"base_model.model.q_proj.lora_A.weight": torch.randn(8, 64, generator=g),
               "base_model.model.q_proj.lora_B.weight": torch.randn(64, 8, generator=g)}, str(d / "adapter_model.safetensors"))
    (d / "adapter_config.json").write_text(json.dumps({"r": 8, "step": step}))
    (d / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    (d / "optimizer.pt").write_bytes(os.urandom(5000))
    for name, size in (extra or {}).items(): (d / name).write_bytes(os.urandom(size))
    return d


def _tiny_trainer(out, callbacks=(), max_steps=8, save_steps=2, **kw):
    "A real Trainer on a tiny random Mistral; a few seconds on CPU."
    torch.manual_seed(0)
    cfg = MistralConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, vocab_size=128)
    rows = [dict(input_ids=ids, labels=ids) for ids in torch.randint(0, 128, (16, 12)).tolist()]
    kw = dict(logging_steps=1, per_device_train_batch_size=4, learning_rate=1e-3, report_to="none", disable_tqdm=True,
              use_cpu=True, seed=0) | kw
    args = TrainingArguments(output_dir=str(out), max_steps=max_steps, save_steps=save_steps, **kw)
    return Trainer(model=MistralForCausalLM(cfg), args=args, train_dataset=rows, callbacks=list(callbacks))


def _complete_steps(url):
    return [c["step"] for c in storage.list_checkpoints(url) if c["complete"]]


def test_round_trip(emulator, tmp_path):
    url = f"{emulator}/roundtrip"
    c10, c20 = _fake_checkpoint(tmp_path / "out", 10), _fake_checkpoint(tmp_path / "out", 20)
    n10 = storage.upload_checkpoint(c10, url)
    assert n10 > sum(p.stat().st_size for p in c10.iterdir())  # files plus the marker
    storage.upload_checkpoint(c20, url)
    cks = storage.list_checkpoints(url)
    assert [(c["step"], c["complete"], c["files"]) for c in cks] == [(10, True, 4), (20, True, 4)]
    assert cks[1]["url"] == f"{url}/checkpoint-20"
    assert storage.latest_checkpoint(url) == (f"{url}/checkpoint-20", [])
    got = storage.download_checkpoint(f"{url}/checkpoint-20", tmp_path / "fresh" / "checkpoint-20")
    assert sorted(p.name for p in got.iterdir()) == sorted(p.name for p in c20.iterdir())
    for p in c20.iterdir(): assert (got / p.name).read_bytes() == p.read_bytes(), p.name
    # a final model directory, with a subdirectory
    final = tmp_path / "final"; (final / "tok").mkdir(parents=True)
    (final / "adapter_config.json").write_text("{}"); (final / "tok" / "tokenizer.json").write_text('{"x": 1}')
    assert storage.upload_dir(final, f"{url}/final") > 0
    back = storage.download_dir(f"{url}/final", tmp_path / "final_back")
    assert (back / "tok" / "tokenizer.json").read_text() == '{"x": 1}'


def test_kill_during_upload(emulator, tmp_path):
    url = f"{emulator}/killed"
    storage.upload_checkpoint(_fake_checkpoint(tmp_path, 10), url)
    # the uploader sends one file at a time with a pause after each (gcsfs would send them concurrently, and on a fast
    # machine every data file could land between two listings), so the kill reliably falls after some files, before the marker
    c20 = _fake_checkpoint(tmp_path, 20, extra={f"optimizer-shard{i}.bin": 24 << 20 for i in range(6)})
    child = subprocess.Popen([sys.executable, "-c", "import sys, time; from sql_codegen_slm import storage; "
                              "fs, _ = storage.fs_for(sys.argv[2]); "
                              "fs.put = lambda ls, rs, **kw: [(fs.put_file(l, r), time.sleep(0.5)) for l, r in zip(ls, rs)]; "
                              "storage.upload_checkpoint(sys.argv[1], sys.argv[2])", str(c20), url])
    deadline = time.time() + 60
    try:
        while time.time() < deadline and child.poll() is None:
            c = {c["step"]: c for c in storage.list_checkpoints(url)}
            if 20 in c and c[20]["files"] >= 1: break
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        rc = child.wait()
    assert rc == -signal.SIGKILL, f"uploader was not killed mid-upload (exit {rc})"
    cks = {c["step"]: c for c in storage.list_checkpoints(url)}
    assert cks[10]["complete"] and not cks[20]["complete"]
    assert 1 <= cks[20]["files"] < len(list(c20.iterdir()))
    got, msgs = storage.latest_checkpoint(url)
    assert got == f"{url}/checkpoint-10"
    assert len(msgs) == 1 and msgs[0].startswith("checkpoint-20: incomplete") and msgs[0].endswith("using checkpoint-10")
    with pytest.raises(FileNotFoundError, match="incomplete"):
        storage.download_checkpoint(f"{url}/checkpoint-20", tmp_path / "dl" / "checkpoint-20")
    # uploading again completes it
    storage.upload_checkpoint(c20, url)
    assert storage.latest_checkpoint(url) == (f"{url}/checkpoint-20", [])


def test_truncated_adapter(emulator, tmp_path):
    url = f"{emulator}/truncated"
    for s in (10, 20): storage.upload_checkpoint(_fake_checkpoint(tmp_path, s), url)
    fs, root = storage.fs_for(url)
    path = f"{root}/checkpoint-20/adapter_model.safetensors"
    full = fs.cat_file(path)
    fs.pipe_file(path, full[: len(full) // 2])  # damaged in the bucket after a complete upload
    got, msgs = storage.latest_checkpoint(url)
    assert got == f"{url}/checkpoint-10"
    assert msgs == [f"checkpoint-20: adapter_model.safetensors truncated ({len(full) // 2} of {len(full)} bytes); using checkpoint-10"]
    # truncated before the upload (the marker agrees with it): the safetensors header still disagrees with the length
    bad = tmp_path / "checkpoint-20" / "adapter_model.safetensors"
    bad.write_bytes(bad.read_bytes()[:-300])
    storage.upload_checkpoint(bad.parent, url)
    got, msgs = storage.latest_checkpoint(url)
    assert got == f"{url}/checkpoint-10"
    assert msgs == [f"checkpoint-20: adapter_model.safetensors truncated ({len(full) - 300} of {len(full)} bytes); using checkpoint-10"]


class _Outage(TrainerCallback):
    "Stops the emulator right after checkpoint `at` is mirrored; records when training reached its last step."
    def __init__(self, mirror, stop, at=2): self.mirror, self.stop, self.at, self.last_step_t = mirror, stop, at, None
    def on_save(self, args, state, control, **kw):
        if state.global_step == self.at:
            assert self.mirror.wait(30), "first checkpoint was not mirrored while the emulator was up"
            self.stop()
    def on_step_end(self, args, state, control, **kw):
        if state.global_step == state.max_steps: self.last_step_t = time.time()


def test_emulator_down_mid_run(tmp_path, monkeypatch, caplog):
    # its own emulator, persisting to disk, so a restart keeps the bucket (like real GCS coming back)
    port, data = free_port(), tmp_path / "gcs"
    emu = {"proc": start_emulator(port, data)}
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    try:
        _make_bucket()
        url = f"gs://{BUCKET}/outage"
        mirror = CheckpointMirrorCallback(RunDir(tmp_path / "out", url), retries=2, backoff=0.5, retry_interval=1.0,
                                          final_timeout=120)
        outage = _Outage(mirror, lambda: stop_emulator(emu["proc"]))
        restarted = {}

        def restart_after_first_failure():
            deadline = time.time() + 100
            while not mirror.failures and time.time() < deadline: time.sleep(0.1)
            restarted["t"] = time.time()
            emu["proc"] = start_emulator(port, data)

        watcher = threading.Thread(target=restart_after_first_failure, daemon=True)
        watcher.start()
        trainer = _tiny_trainer(tmp_path / "out", [mirror, outage], max_steps=8, save_steps=2)
        with caplog.at_level(logging.WARNING, logger="sql_codegen_slm.callbacks"):
            trainer.train()
        watcher.join(5)
        assert trainer.state.global_step == 8
        assert outage.last_step_t is not None and "t" in restarted
        assert outage.last_step_t < restarted["t"], "training waited for the remote instead of going on"
        assert mirror.failures and mirror.failures[0]["step"] == 4
        assert any("checkpoint-4" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)
        assert mirror.pending == [] and sorted(mirror.uploaded) == [2, 4, 6, 8]
        assert _complete_steps(url) == [2, 4, 6, 8]  # caught up, and checkpoint-2 survived the restart
        assert storage.latest_checkpoint(url) == (f"{url}/checkpoint-8", [])
        assert list((tmp_path / "out" / ".mirror_staging").iterdir()) == []
    finally:
        stop_emulator(emu["proc"])


def _nan_from(holder, k):
    "compute_loss_func whose loss is NaN from optimizer step `k` on."
    def f(outputs, labels, num_items_in_batch=None):
        logits = outputs.logits[:, :-1].float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1))
        return loss * float("nan") if holder["trainer"].state.global_step + 1 >= k else loss
    return f


@pytest.mark.parametrize("nan_filter,k,kinds", [(False, 5, {"nan_loss"}), (True, 4, {"nan_grad_norm", "nan_weights"})])
def test_nan_loss_stops_and_keeps_last_good(emulator, tmp_path, nan_filter, k, kinds):
    url = f"{emulator}/nan-{nan_filter}"
    rf, mirror = RedFlagCallback(), CheckpointMirrorCallback(RunDir(tmp_path / "out", url))
    holder = {}
    trainer = holder["trainer"] = _tiny_trainer(tmp_path / "out", [rf, mirror], max_steps=10, save_steps=2,
                                                logging_nan_inf_filter=nan_filter)
    trainer.compute_loss_func = _nan_from(holder, k)
    trainer.train()
    assert trainer.state.global_step == k  # stopped at the bad step
    assert len(rf.fatal) == 1 and rf.fatal[0].figures["step"] == k and rf.fatal[0].name in kinds
    good = [s for s in range(2, k, 2)]
    assert sorted(int(p.name.split("-")[1]) for p in (tmp_path / "out").glob("checkpoint-*")) == good
    assert _complete_steps(url) == good
    got, msgs = storage.latest_checkpoint(url)
    assert (got, msgs) == (f"{url}/checkpoint-{good[-1]}", [])
    local = storage.download_checkpoint(got, tmp_path / "fresh" / Path(got).name)
    weights = load_file(str(local / "model.safetensors"))
    assert weights and all(torch.isfinite(t).all() for t in weights.values())


# ---- storage sync: nothing damaged is marked complete, nothing wrong is silent ---------------------------------------
def _resumable_checkpoint(root, step) -> Path:
    "A checkpoint whose every file loads the way the Trainer loads it (what resume verifies)."
    import random
    import numpy as np
    d = _fake_checkpoint(root, step)
    torch.save({"state": {}, "param_groups": [{"lr": 1e-3, "params": []}]}, d / "optimizer.pt")
    torch.save({"last_epoch": step}, d / "scheduler.pt")
    torch.save({"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.random.get_rng_state()},
               d / "rng_state.pth")
    return d


def _sync(*args):
    p = subprocess.run([sys.executable, "-m", "sql_codegen_slm.storage", "sync", *map(str, args)], capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT="false"))
    return p.returncode, p.stdout, p.stderr.strip().splitlines()


@pytest.mark.parametrize("damage", ["optimizer", "adapter", "missing_rng"])
def test_sync_never_marks_a_damaged_checkpoint_complete(emulator, tmp_path, damage):
    "Once: `storage sync` uploaded a damaged checkpoint and wrote _COMPLETE; resume would then have trusted it."
    url, run = f"{emulator}/sync-{damage}", tmp_path / "run"
    _resumable_checkpoint(run, 2)
    bad = _resumable_checkpoint(run, 4)
    if damage == "optimizer": (bad / "optimizer.pt").write_bytes(b"garbage" * 100)
    if damage == "adapter":
        f = bad / "adapter_model.safetensors"; f.write_bytes(f.read_bytes()[:-200])
    if damage == "missing_rng": (bad / "rng_state.pth").unlink()
    (run / "final").mkdir(); (run / "final" / "adapter_config.json").write_text("{}")
    rc, out, err = _sync(run, url)
    assert rc == 2 and "uploaded checkpoint-2" in out and "uploaded final" in out, (rc, out, err)
    line = next(l for l in err if "checkpoint-4" in l)
    assert {"optimizer": "optimizer.pt", "adapter": "adapter_model.safetensors", "missing_rng": "rng_state.pth"}[
        damage] in line and "not uploaded" in line, err
    assert _complete_steps(url) == [2], storage.list_checkpoints(url)  # no _COMPLETE for checkpoint-4
    assert storage.latest_checkpoint(url)[0] == f"{url}/checkpoint-2"


def test_sync_to_a_missing_bucket_or_a_file_is_one_line(emulator, tmp_path):
    run = tmp_path / "run"
    _resumable_checkpoint(run, 2)
    (tmp_path / "afile").write_text("x")
    fs, root = storage.fs_for(f"{emulator}/an-object")
    fs.pipe_file(f"{root}", b"not a directory")
    for remote, words in [("gs://no-such-bucket-here/run", ["gs://no-such-bucket-here/run", "bucket"]),
                          (tmp_path / "afile", [str(tmp_path / "afile"), "is a file"]),
                          (f"{emulator}/an-object", [f"{emulator}/an-object", "is a file"]),
                          ("gs://YOUR-BUCKET-NAME/run", ["YOUR-BUCKET-NAME"]), ("", ["remote"])]:
        rc, out, err = _sync(run, remote)
        assert rc == 2 and len(err) == 1 and all(w in err[0] for w in words), (remote, rc, out, err)
    for local, words in [(tmp_path / "nope", ["nope", "no such directory"]), (tmp_path / "afile", ["not a directory"])]:
        rc, out, err = _sync(local, f"{emulator}/x")
        assert rc == 2 and len(err) == 1 and all(w in err[0] for w in words), (local, rc, out, err)
    rc, out, err = _sync(run, f"{emulator}/ok")
    assert rc == 0 and "uploaded checkpoint-2" in out and _complete_steps(f"{emulator}/ok") == [2], (out, err)


def test_sync_into_the_run_itself_is_refused(tmp_path):
    run = tmp_path / "run"
    _resumable_checkpoint(run, 2)
    for remote in (run, run / "mirror"):
        rc, out, err = _sync(run, remote)
        assert rc == 2 and len(err) == 1 and "the run directory itself" in err[0], (remote, out, err)
