"""The issue's done-criterion: `papermill nbs/train.ipynb -p mode smoke -p remote_dir gs://smoke-bucket/run` against a real
GCS emulator (gcp-storage-emulator on 127.0.0.1) passes every check, resumes from the bucket after a SIGKILL, had
checkpoint-10 and the final adapter in the bucket, and, having passed, deletes its `smoke-*` prefix (a failed smoke keeps
it: `clean_remote` in nbs/09_smoke.ipynb, tested there)."""
import json, os, subprocess, sys, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported: its experimental path hangs on the emulator
from gcs_emulator import gcs_bucket
import pytest

REPO = Path(__file__).resolve().parents[1]
BUCKET = "smoke-bucket"


@pytest.fixture
def emulator(tmp_path):
    "gcp-storage-emulator on a free loopback port, storing to a data dir, with `smoke-bucket` created through gcsfs."
    with gcs_bucket(BUCKET, tmp_path / "gcs-data") as env: yield env


def test_papermill_smoke_against_gcs_emulator(emulator, tmp_path):
    from sql_codegen_slm import storage
    out_dir, out_nb, log = tmp_path / "smoke", tmp_path / "smoke.ipynb", tmp_path / "papermill.log"
    cmd = [sys.executable, "-m", "papermill", str(REPO / "nbs" / "train.ipynb"), str(out_nb),
           "-p", "mode", "smoke", "-p", "output_dir", str(out_dir), "-p", "remote_dir", f"gs://{BUCKET}/run"]
    env = {**os.environ, **emulator, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    t0 = time.time()
    with open(log, "w") as f: rc = subprocess.run(cmd, cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=1200).returncode
    wall = time.time() - t0
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    assert rc == 0, f"papermill exited {rc} after {wall:.0f} s:\n{tail}"

    rep = json.loads((out_dir / "report.json").read_text())
    checks = {c["name"]: c for c in rep["checks"]}
    assert rep["passed"] and rep["failure_point"] is None, rep["failure_point"]
    assert not [n for n, c in checks.items() if c["status"] == "failed"]
    for name in ("data_loading", "model_init", "training_step", "checkpoint_save", "checkpoint_load", "resume", "inference", "memory_check"):
        assert checks[name]["status"] == "passed", (name, checks[name]["message"])
    res = checks["resume"]["figures"]
    assert res["killed_at_step"] == 10 and res["resumed_from"] == 10 and res["final_step"] == 20, res
    assert isinstance(res["max_loss_diff"], (int, float)) and res["max_loss_diff"] <= 1e-6, res["max_loss_diff"]

    # everything the resume needed came from the bucket: the run's prefix held checkpoint-10 (complete) and the final
    # adapter; the smoke passed, so it deleted that prefix, keeping what was there in the report
    remote = rep["remote"]
    assert remote.startswith(f"gs://{BUCKET}/run/smoke-"), remote
    assert f"{remote}/checkpoint-10" in checks["resume"]["message"], checks["resume"]["message"]  # resumed from the bucket
    gone = rep["remote_deleted"]
    assert gone["url"] == remote and gone["checkpoints"] == [10, 20] and gone["final"], gone
    assert gone["bytes"] >= res["remote_bytes"] > 0, (gone, res["remote_bytes"])  # all of it, counted before deleting
    assert rep["remote_cleanup"].startswith(f"deleted {remote} (the smoke passed)"), rep["remote_cleanup"]
    fs, root = storage.fs_for(remote)
    fs.invalidate_cache()
    assert not fs.exists(root), f"{remote} is still there"
    left = fs.ls(f"{BUCKET}/run") if fs.exists(f"{BUCKET}/run") else []
    assert not left, f"left in the bucket: {left}"
    stored, ckpts = gone["bytes"], gone["checkpoints"]
    print(f"\nsmoke via papermill against the GCS emulator: wall {wall:.1f} s (report wall_s {rep['wall_s']}), "
          f"max_loss_diff {res['max_loss_diff']}, uploaded by the resumed run {res['uploaded_bytes_resumed']:,} bytes, "
          f"stored under {remote}: {stored:,} bytes in checkpoints {sorted(ckpts)} + final")
