"""The README's full-mode command (`papermill nbs/train.ipynb … -p mode full -p bucket …`) on CPU with the tiny model and
its data at gs:// on the GCS emulator: SIGKILLed once checkpoint-2 is complete in the bucket, then the same command on an
empty local disk (fresh output directory, fresh data cache) resumes from the bucket, fetches the data again and finishes
with the losses of an uninterrupted run; the bucket holds the final adapter, TensorBoard events for every logged step and
the run log. Data URLs that cannot be read (wrong path, missing bucket, unreadable credentials) fail in preflight with
the fix."""
import json, os, subprocess, sys, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported
from gcs_emulator import gcs_bucket, kill_tree
import pytest

REPO = Path(__file__).resolve().parents[1]
BUCKET, STEPS = "full-run", 6
TRAIN, VAL = f"gs://{BUCKET}/data/train.jsonl", f"gs://{BUCKET}/data/val.jsonl"
# small overrides so a CPU run takes seconds: a checkpoint and a log line every other step, one evaluation at the end
OVERRIDES = ["training.save_steps=2", "training.eval_steps=6", "logging.logging_steps=1",
             "training.per_device_train_batch_size=4", "training.per_device_eval_batch_size=8",
             "model.max_seq_length=256", "data.max_samples_val=8",
             "logging.sql_eval_samples=0", "logging.extract_representations_every_steps=null"]  # mechanics only


@pytest.fixture(scope="module")
def gcs():
    "The emulator with the sample data uploaded to gs://full-run/data/."
    with gcs_bucket(BUCKET) as env:
        from sql_codegen_slm import storage
        from sql_codegen_slm.data import sample_data_dir
        fs, _ = storage.fs_for(f"gs://{BUCKET}")
        for name in ("train.jsonl", "val.jsonl"): fs.put_file(str(sample_data_dir() / name), f"{BUCKET}/data/{name}")
        yield env


def _cmd(out_nb, out_dir, remote=None):
    "The README's full-mode command, with the tiny model, a few steps and the data in the bucket."
    cmd = [sys.executable, "-m", "papermill", str(REPO / "nbs" / "train.ipynb"), str(out_nb), "--log-level", "WARNING",
           "-p", "mode", "full", "-p", "bucket", BUCKET, "-p", "model", "tiny", "-p", "max_steps", str(STEPS),
           "-p", "output_dir", str(out_dir), "-p", "train_file", TRAIN, "-p", "val_file", VAL,
           "-y", json.dumps({"overrides": OVERRIDES})]
    return cmd + (["-p", "remote_dir", remote] if remote else [])


def _env(gcs, cache):
    return {**os.environ, **gcs, "SQL_CODEGEN_CACHE": str(cache),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _run(cmd, env, log):
    with open(log, "w") as f: p = subprocess.run(cmd, cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode == 0, f"{cmd}\nexited {p.returncode}:\n" + "\n".join(log.read_text().splitlines()[-30:])


def _losses(fs, root) -> dict:
    st = json.loads(fs.cat_file(f"{root}/final/trainer_state.json"))
    return {h["step"]: h["loss"] for h in st["log_history"] if "loss" in h}


def _tb_steps(fs, root, tmp) -> set:
    "Steps with a train/loss scalar in every TensorBoard event file under `root/runs/`."
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    steps = set()
    for i, p in enumerate(sorted(q for q in fs.find(f"{root}/runs") if "tfevents" in q)):
        local = tmp / f"{i}.tfevents"; fs.get_file(p, str(local))
        ea = EventAccumulator(str(local), size_guidance={"scalars": 0}); ea.Reload()
        if "train/loss" in ea.Tags()["scalars"]: steps |= {e.step for e in ea.Scalars("train/loss")}
    return steps


def test_full_run_killed_and_resumed_from_gcs(gcs, tmp_path):
    from sql_codegen_slm import storage
    remote = f"gs://{BUCKET}/sql-codegen-slm/full"  # the full preset's remote_dir with the bucket put in
    fs, root = storage.fs_for(remote)
    t0 = time.time()
    ref_remote = f"gs://{BUCKET}/reference"
    _run(_cmd(tmp_path / "ref.ipynb", tmp_path / "ref", ref_remote), _env(gcs, tmp_path / "cache-ref"),
         tmp_path / "ref.log")
    t_ref = time.time() - t0
    ref = _losses(*storage.fs_for(ref_remote))
    assert sorted(ref) == list(range(1, STEPS + 1)), ref

    # 1. the README command, killed (papermill and its kernel) as soon as checkpoint-2 is complete in the bucket
    cmd, env1 = _cmd(tmp_path / "run1.ipynb", tmp_path / "disk1" / "full"), _env(gcs, tmp_path / "disk1" / "cache")
    t1 = time.time()
    with open(tmp_path / "run1.log", "w") as f:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env1, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not fs.exists(f"{root}/checkpoint-2/{storage.MARKER}"):
            assert proc.poll() is None, "run 1 ended before checkpoint-2 was mirrored:\n" + (tmp_path / "run1.log").read_text()[-3000:]
            assert time.time() - t1 < 240, "no checkpoint-2 in the bucket after 240 s"
            time.sleep(0.2); fs.invalidate_cache()
    finally:
        kill_tree(proc.pid); proc.wait()  # papermill and its kernel, which runs in a session of its own
    assert not fs.exists(f"{root}/final/{storage.MARKER}")
    assert fs.exists(f"{root}/run.log") and fs.exists(f"{root}/trainer_state.json")  # the logs went with checkpoint-2
    assert (tmp_path / "disk1" / "cache" / "data").is_dir()

    # 2. the same command on an empty disk: a new output directory and data cache (the first disk is gone)
    import shutil; shutil.rmtree(tmp_path / "disk1")
    t2 = time.time()
    _run(cmd, _env(gcs, tmp_path / "disk1" / "cache"), tmp_path / "run2.log")
    t_resume = time.time() - t2
    nb = json.loads((tmp_path / "run1.ipynb").read_text())
    out = "".join(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text", []))
                  for c in nb["cells"] for o in c.get("outputs", []))
    assert f"resuming from {remote}/checkpoint-" in out, out[-2000:]
    fetched = list((tmp_path / "disk1" / "cache" / "data").rglob("*.jsonl"))
    assert sorted(p.name for p in fetched) == ["train.jsonl", "val.jsonl"], fetched  # fetched again from the bucket

    # the bucket: final adapter, TensorBoard events for every logged step (both runtimes), the run log of both
    assert fs.exists(f"{root}/final/{storage.MARKER}") and fs.size(f"{root}/final/adapter_model.safetensors") > 0
    got = _losses(fs, root)
    assert sorted(got) == list(range(1, STEPS + 1)), got
    assert _tb_steps(fs, root, tmp_path) == set(range(1, STEPS + 1))
    log = fs.cat_file(f"{root}/run.log").decode()
    assert "step 1: loss=" in log and f"step {STEPS}: loss=" in log and f"resuming from {remote}/checkpoint-" in log
    diff = max(abs(got[s] - ref[s]) for s in ref)
    assert diff <= 1e-6, (got, ref)  # the resumed run's losses are the uninterrupted run's

    from sql_codegen_slm.monitor import read_run
    run = read_run(remote)
    assert {h["step"] for h in run["history"] if "loss" in h} == set(range(1, STEPS + 1))
    ckpt = {c["step"]: c["bytes"] for c in storage.list_checkpoints(remote)}
    logs = sum(fs.du(f"{root}/{n}") for n in ("run.log", "trainer_state.json", "runs"))
    print(f"\nfull run via papermill, data and checkpoints on the GCS emulator: reference {t_ref:.1f} s, killed run "
          f"{t2 - t1:.1f} s (incl. kill), resumed {t_resume:.1f} s; max |loss - reference| {diff:.2e}; checkpoint bytes "
          f"{ckpt}; logs in the bucket {logs:,} bytes")


def _preflight(env, *sets, process=False):
    "Preflight's findings for the data URLs `sets`: in this process (the emulator's env set meanwhile), or a new one."
    args = ["--config", "smoke", "--no-remote", "--json", *[a for s in sets for a in ("--set", s)]]
    if process:
        p = subprocess.run([sys.executable, "-m", "sql_codegen_slm.preflight", *args], capture_output=True, text=True,
                           timeout=180, cwd=REPO, env=env)
        rc, out = p.returncode, p.stdout
    else:
        import contextlib, io
        from sql_codegen_slm.preflight import main
        saved, buf = dict(os.environ), io.StringIO()
        os.environ.update(env)
        try:
            with contextlib.redirect_stdout(buf): rc, out = main(args), None
        finally: os.environ.clear(); os.environ.update(saved)
        out = buf.getvalue()
    return rc, {f["name"]: f for f in json.loads(out)["findings"]}


def test_unreadable_data_urls_fail_in_preflight(gcs, tmp_path):
    env = _env(gcs, tmp_path / "cache")
    rc, f = _preflight(env, f"data.train_file=gs://{BUCKET}/data/nope.jsonl", "data.val_file=gs://no-such-bucket/val.jsonl")
    tr, va = f["data.train_file"], f["data.val_file"]
    assert rc == 2 and tr["status"] == va["status"] == "failed", (tr, va)
    assert tr["message"].startswith(f"gs://{BUCKET}/data/nope.jsonl: no such object") and "check the path" in tr["message"]
    assert "gs://no-such-bucket/val.jsonl: bucket gs://no-such-bucket does not exist" in va["message"]
    assert "buckets create" in va["message"]
    garbage = tmp_path / "key.json"; garbage.write_text("this is not a key file")
    # a process of its own: credentials are read once a process
    rc, f = _preflight({**env, "GOOGLE_APPLICATION_CREDENTIALS": str(garbage)}, f"data.train_file={TRAIN}", process=True)
    tr = f["data.train_file"]
    assert rc == 2 and tr["status"] == "failed", tr
    assert tr["message"].startswith(f"{TRAIN}: not allowed") and str(garbage) in tr["message"], tr["message"]
    assert "GOOGLE_APPLICATION_CREDENTIALS" in tr["message"] and "auth" in tr["message"]
    rc, f = _preflight(env, f"data.train_file={TRAIN}", f"data.val_file={VAL}")  # the same URLs, readable: passed
    assert f["data.train_file"]["status"] == f["data.val_file"]["status"] == "passed", f
