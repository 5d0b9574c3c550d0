"""Preflight as a user runs it: the CLI's exit code and JSON, and the write test on a gs:// remote (GCS emulator) that
passes for a real bucket and fails, with advice, for a missing one or the placeholder."""
import json, os, subprocess, sys, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported
from gcs_emulator import gcs_bucket
import pytest

REPO = Path(__file__).resolve().parents[1]


def _cli(*args, env=None):
    t0 = time.time()
    p = subprocess.run([sys.executable, "-m", "sql_codegen_slm.preflight", *args], capture_output=True, text=True, timeout=180,
                       cwd=REPO, env={**os.environ, **(env or {})})
    return p.returncode, p.stdout, p.stderr, time.time() - t0


def _main(*args, env=None):
    "The same command in this process (no interpreter and torch import to pay each time): code, stdout, stderr, seconds."
    import contextlib, io
    from sql_codegen_slm.preflight import main
    t0, out, err, saved = time.time(), io.StringIO(), io.StringIO(), {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {}); cwd = os.getcwd(); os.chdir(REPO)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main(list(args))
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v
    return rc, out.getvalue(), err.getvalue(), time.time() - t0


def _by_name(out): return {f["name"]: f for f in json.loads(out)["findings"]}


@pytest.fixture(scope="module")
def gcs():
    with gcs_bucket("preflight-test") as env: yield env["STORAGE_EMULATOR_HOST"]


def test_cli_smoke_passes_and_bad_data_fails(tmp_path):
    rc, out, err, secs = _cli("--config", "smoke", "--set", f"training.output_dir={tmp_path / 'run'}", "--json")  # a process
    res, lines = json.loads(out), _by_name(out)
    assert rc == res["exit_code"] < 2 and res["counts"]["failed"] == 0, out + err
    assert lines["data.train_file"]["status"] == "passed" and res["estimate"]["steps"] == 20
    assert {"python", "torch", "cuda", "gpu", "bf16", "transformers", "peft", "bitsandbytes", "datasets", "gcsfs", "colab"} <= set(lines)
    print(f"preflight --config smoke: {secs:.1f} s (process start included)")
    rc, out, _, _ = _main("--config", "smoke", "--set", "data.train_file=/nonexistent/train.jsonl", "--json")
    bad = _by_name(out)["data.train_file"]
    assert rc == 2 and bad["status"] == "failed" and "/nonexistent/train.jsonl" in bad["message"], out
    rc, out, _, _ = _main("--config", "smoke", "--set", "training.nope=1")
    assert rc == 2 and "FAILED" in out and "unknown key 'training.nope'" in out, out


def test_gcs_remote_write_test(gcs, tmp_path):
    env = {"STORAGE_EMULATOR_HOST": gcs}
    base = ["--config", "smoke", "--set", f"training.output_dir={tmp_path / 'run'}", "--json"]
    rc, out, err, _ = _cli(*base, "--set", "logging.remote_dir=gs://preflight-test/runs/a", env=env)
    lines = _by_name(out)
    assert rc < 2 and lines["logging.remote_dir"]["status"] == "passed", out + err
    assert "wrote, read back and deleted" in lines["logging.remote_dir"]["message"]
    assert lines["gcs credentials"]["status"] == "passed"  # the emulator needs none
    from sql_codegen_slm import storage
    fs, root = storage.fs_for("gs://preflight-test/runs/a")
    assert not [p for p in fs.find("preflight-test") if "_preflight" in p]  # nothing left behind
    rc, out, _, _ = _main(*base, "--set", "logging.remote_dir=gs://no-such-bucket/x", env=env)  # in this process
    line = _by_name(out)["logging.remote_dir"]
    assert rc == 2 and line["status"] == "failed" and "bucket" in line["advice"] and "gs://no-such-bucket/x" in line["message"]
    rc, out, _, _ = _main(*base, "--set", "logging.remote_dir=gs://YOUR-BUCKET-NAME/x", env=env)
    assert rc == 2 and "replace YOUR-BUCKET-NAME" in _by_name(out)["logging.remote_dir"]["advice"]


def test_cli_gpus_from_flag_and_launcher(tmp_path):
    "The estimate for N data-parallel GPUs: --gpus, or WORLD_SIZE under torchrun / accelerate launch."
    base = ["--config", "full", "--set", f"training.output_dir={tmp_path / 'run'}", "--no-remote", "--json"]
    one, two, four = (json.loads(_main(*base, *args, env=env)[1])["estimate"]
                      for args, env in (([], {"WORLD_SIZE": "1"}), (["--gpus", "2"], None), ([], {"WORLD_SIZE": "4"})))
    assert (one["gpus"], two["gpus"], four["gpus"]) == (1, 2, 4)
    assert two["steps"] == -(-one["steps_per_epoch"] // 2) * 3 and two["summary"].endswith("on 2 x A100-40GB"), two
    assert abs(two["train_h"] - one["train_h"] / 1.8) <= 0.02 * one["train_h"], (one, two)
    assert "assumed scaling 0.9" in two["time_source"]
    assert four["train_h"] < two["train_h"] < one["train_h"]
