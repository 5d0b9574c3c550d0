"""The GCS emulator the tests run against: gcp-storage-emulator on a free loopback port, reached by gcsfs through
STORAGE_EMULATOR_HOST (GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false, or gcsfs hangs on a gRPC handshake)."""
import contextlib, json, os, socket, subprocess, sys, tempfile, time, urllib.request

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_tree(pid: int, timeout: float = 30) -> None:
    """A lost machine: SIGKILL `pid` and every process below it, even those in a session of their own (papermill starts
    its Jupyter kernel in one, so `killpg` leaves the kernel training and writing), then wait until none is running."""
    import signal
    from pathlib import Path

    def parent(stat: Path):
        try: return int(stat.read_text().rsplit(")", 1)[1].split()[1])  # pid (comm) state ppid ...
        except (OSError, IndexError, ValueError): return None

    tree, todo = [], [pid]
    while todo:  # stop each before reading its children, so none forks one unseen
        p = todo.pop()
        with contextlib.suppress(ProcessLookupError): os.kill(p, signal.SIGSTOP)
        tree.append(p)
        todo += [int(s.parent.name) for s in Path("/proc").glob("[0-9]*/stat") if parent(s) == p]
    for p in tree:
        with contextlib.suppress(ProcessLookupError): os.kill(p, signal.SIGKILL)

    def running(p):
        try: return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead
        except OSError: return False
    deadline = time.time() + timeout
    while any(map(running, tree)):
        if time.time() > deadline: raise TimeoutError(f"processes {tree} still run {timeout} s after SIGKILL")
        time.sleep(0.05)


def _answers_as_gcs(port: int) -> bool:
    "Whether 127.0.0.1:port answers the JSON API's bucket listing (not merely accepts connections: it may be held)."
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/storage/v1/b?project=test", timeout=1) as r:
            return r.status == 200 and json.loads(r.read()).get("kind") == "storage#buckets"
    except (OSError, ValueError): return False


def start_emulator(port: int, data_dir=None) -> subprocess.Popen:
    "Start gcp-storage-emulator on 127.0.0.1:port (in memory, or persisting to `data_dir`) and wait until it answers."
    cmd = [sys.executable, "-m", "gcp_storage_emulator", *(["-d", str(data_dir)] if data_dir else []),
           "start", "--host", "127.0.0.1", "--port", str(port), "-q", *([] if data_dir else ["--in-memory"])]
    err = tempfile.TemporaryFile()  # a file, not a pipe: an emulator that logs a lot must never block on a full pipe
    start = lambda: subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    proc, deadline = start(), time.time() + 30
    def said():
        err.seek(0); return err.read().decode(errors="replace")
    while time.time() < deadline:
        # A restart on the same port may find it held for a moment (the stopped emulator's sockets, or a client's
        # connection that took it as its local port): the emulator then exits, or its server thread dies on
        # "Address already in use" and the process hangs. Either way: start it again until the deadline.
        busy = "Address already in use" in said()
        if busy: proc.kill(); proc.wait()
        if proc.poll() is not None:
            if time.time() + 1 > deadline:
                raise RuntimeError(f"emulator exited with {proc.returncode} {said().strip().splitlines()[-1:]}: {cmd}")
            err.seek(0); err.truncate(); time.sleep(0.5); proc = start(); continue
        if _answers_as_gcs(port) and proc.poll() is None and "Address already in use" not in said(): return proc
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError("emulator did not start")


def stop_emulator(proc: subprocess.Popen):
    proc.terminate()
    try: proc.wait(10)
    except subprocess.TimeoutExpired: proc.kill(); proc.wait()


@contextlib.contextmanager
def gcs_bucket(bucket: str, data_dir=None):
    "An emulator with `bucket` created through gcsfs; STORAGE_EMULATOR_HOST points at it inside the block. Yields the env."
    port = free_port()
    proc = start_emulator(port, data_dir)
    env = {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}", "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    old = {k: os.environ.get(k) for k in env}
    try:
        os.environ.update(env)
        from sql_codegen_slm import storage
        fs, _ = storage.fs_for(f"gs://{bucket}")
        fs.mkdir(bucket)
        assert bucket in [b.rstrip("/") for b in fs.ls("")], "bucket not created"
        yield env
    finally:
        for k, v in old.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v
        stop_emulator(proc)
