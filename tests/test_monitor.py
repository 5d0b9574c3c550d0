"""The run monitor on planted runs: each red flag at a known step in a `trainer_state.json` fixture (a healthy run raises
none), exit codes through the CLI, a gs:// run on the GCS emulator, and checkpoint integrity on a real 4-step training run
with one checkpoint truncated."""
import json, os, subprocess, sys, time
from pathlib import Path

os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"  # before gcsfs is imported
from gcs_emulator import gcs_bucket
import pytest

from sql_codegen_slm.checkpoint_check import check_checkpoints
from sql_codegen_slm.findings import exit_code
from sql_codegen_slm.monitor import check_run
from sql_codegen_slm.redflags import Thresholds

REPO = Path(__file__).resolve().parents[1]


def _hist(losses, start=1, evals=None, grad=None):
    "log_history with a train loss per step, grad_norm 1.0 (or `grad[step]`), eval_loss entries at the steps in `evals`."
    h = []
    for s, l in enumerate(losses, start):
        h.append(dict(step=s, loss=l, grad_norm=(grad or {}).get(s, 1.0), learning_rate=1e-4))
        if evals and s in evals: h.append(dict(step=s, eval_loss=evals[s]))
    return h


def _healthy(n=60):
    return [2.5 * 0.97 ** i + 0.02 * (-1) ** i for i in range(n)]


def make_run(root, history, ckpts, max_steps, save_steps=20, final=True, age_s=0.0):
    "A run directory as the Trainer leaves it: checkpoint-N/{trainer_state.json, adapter files}, optionally final/; files `age_s` old."
    root = Path(root)
    for s in ckpts:
        c = root / f"checkpoint-{s}"
        c.mkdir(parents=True)
        state = dict(global_step=s, max_steps=max_steps, save_steps=save_steps, logging_steps=1, epoch=s / 20,
                     log_history=[h for h in history if h["step"] <= s])
        (c / "trainer_state.json").write_text(json.dumps(state))  # NaN is written as NaN, as the Trainer does
        (c / "adapter_model.safetensors").write_bytes(b"\0" * 64)
        (c / "adapter_config.json").write_text("{}")
    if final:
        (root / "final").mkdir(parents=True)
        (root / "final" / "adapter_model.safetensors").write_bytes(b"\0" * 64)
    if age_s:
        t = time.time() - age_s
        for p in root.rglob("*"): os.utime(p, (t, t))
    return root


def flags(r): return [(f.name, f.figures["step"], f.status) for f in r if f.name != "status"]


def status(r): return next(f.figures for f in r if f.name == "status")


# one planted flag per run: (history, checkpoints, max_steps, final, age_s) -> the flag, the step where it begins, status
def _planted():
    H = _healthy()
    nan = _hist(H[:36] + [float("nan")] + H[37:])
    rising = _hist([2.0 - 0.02 * i for i in range(30)] + [1.42 + 0.05 * i for i in range(1, 31)])  # bottom at step 30
    osc = _hist(H[:20] + [1.5 + (0.6 if i % 2 == 0 else -0.6) for i in range(40)])  # swings from step 21
    stuck = _hist([9.0, 7.5] + [6.0 + 0.01 * (-1) ** i for i in range(58)])  # flat above 5 from step 3
    eval_gap = _hist([1.4 + 0.01 * (-1) ** i for i in range(60)], evals={20: 1.5, 40: 3.1, 60: 3.2})
    grad = _hist(H, grad={45: 2500.0})
    spike = _hist(H, grad={30: 25.0})  # 25 x the median, below the exploding threshold
    mem = [dict(h, peak_mem_gb=78.0 if h["step"] >= 50 else 40.0, mem_total_gb=80.0) for h in _hist(H)]
    leak = [dict(h, host_rss_gb=2.0 + 0.1 * max(0, h["step"] - 10)) for h in _hist(H)]  # grows after the warm-up
    return {
        "nan_inf":               (nan, [20, 40], 60, False, 0, ("nan_loss", 37, "failed")),
        "loss_rising":           (rising, [20, 40, 60], 60, True, 0, ("loss_rising", 30, "warning")),
        "loss_oscillating":      (osc, [20, 40, 60], 60, True, 0, ("loss_oscillating", 21, "warning")),
        "loss_stuck":            (stuck, [20, 40, 60], 60, True, 0, ("loss_stuck", 3, "warning")),
        "eval_gap":              (eval_gap, [20, 40, 60], 60, True, 0, ("eval_gap", 40, "warning")),
        "grad_norm":             (grad, [20, 40, 60], 60, True, 0, ("grad_norm", 45, "warning")),
        "grad_norm_unstable":    (spike, [20, 40, 60], 60, True, 0, ("grad_norm_unstable", 30, "warning")),
        "memory_near_limit":     (mem, [20, 40, 60], 60, True, 0, ("memory_near_limit", 50, "warning")),
        "host_memory_growing":   (leak, [20, 40, 60], 60, True, 0, ("host_memory_growing", 11, "warning")),
        "checkpoints_missing":   (_hist(H), [20, 60], 60, True, 0, ("checkpoints_missing", 40, "warning")),
        "checkpoints_irregular": (_hist(H), [20, 35, 40, 60], 60, True, 0, ("checkpoints_irregular", 35, "warning")),
        "stopped_at_max_steps":  (_hist(H), [20, 40, 60], 60, False, 0, ("stopped_without_final", 60, "failed")),
        "stopped_stale":         (_hist(H[:40]), [20, 40], 100, False, 5 * 3600, ("stopped_without_final", 40, "failed")),
    }


PLANTED = _planted()


def test_healthy_run_raises_nothing(tmp_path):
    run = make_run(tmp_path, _hist(_healthy(), evals={20: 1.5, 40: 0.9, 60: 0.6}), [20, 40, 60], 60)
    r = check_run(run)
    assert flags(r) == [] and exit_code(r) == 0
    s = status(r)
    assert (s["state"], s["global_step"], s["max_steps"], s["last_checkpoint"], s["final_saved"]) == ("finished", 60, 60, 60, True)
    assert s["last_loss"] == pytest.approx(_healthy()[-1]) and s["last_eval_loss"] == 0.6
    # a run in progress (no final/, fresh files) is healthy too, with an ETA from the checkpoints' times
    live = make_run(tmp_path / "live", _hist(_healthy(40)), [20, 40], 100, final=False)
    os.utime(live / "checkpoint-20" / "trainer_state.json", (time.time() - 200, time.time() - 200))
    r = check_run(live)
    assert exit_code(r) == 0 and status(r)["state"] == "running"
    assert status(r)["eta_s"] == pytest.approx(600, rel=0.05)  # 20 steps per ~200 s, 60 to go


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_flag_found_at_its_step(tmp_path, name):
    hist, ckpts, max_steps, final, age, want = PLANTED[name]
    r = check_run(make_run(tmp_path, hist, ckpts, max_steps, final=final, age_s=age))
    assert flags(r) == [want], flags(r)
    assert exit_code(r) == (2 if want[2] == "failed" else 1)


def test_diverging_loss_fails(tmp_path):
    hist = _hist([2.0 - 0.02 * i for i in range(30)] + [1.42 * 1.15 ** i for i in range(1, 31)])
    r = check_run(make_run(tmp_path, hist, [20, 40, 60], 60))
    assert flags(r)[0] == ("loss_rising", 30, "failed") and exit_code(r) == 2


def test_thresholds_are_the_knobs(tmp_path):
    hist, ckpts, max_steps, final, age, want = PLANTED["grad_norm"]
    run = make_run(tmp_path, hist, ckpts, max_steps, final=final)
    assert flags(check_run(run, th=Thresholds(grad_norm=5000, grad_spike=5000))) == []


def test_damaged_latest_state_falls_back(tmp_path):
    run = make_run(tmp_path, _hist(_healthy()), [20, 40, 60], 60)
    (run / "checkpoint-60" / "trainer_state.json").write_text('{"global_step": 60, "log_hist')  # half-written
    r = check_run(run)
    assert status(r)["state_file"] == "checkpoint-40/trainer_state.json"
    assert ("state_unreadable", 60, "warning") in flags(r)


def _cli(*args):
    p = subprocess.run([sys.executable, "-m", "sql_codegen_slm.monitor", *map(str, args)], capture_output=True, text=True, timeout=120, cwd=REPO)
    return p.returncode, p.stdout, p.stderr


def test_cli_exit_codes(tmp_path):
    healthy = make_run(tmp_path / "ok", _hist(_healthy()), [20, 40, 60], 60)
    warn = make_run(tmp_path / "warn", *PLANTED["grad_norm"][:3], final=True)
    crit = make_run(tmp_path / "crit", *PLANTED["nan_inf"][:3], final=False)
    rc, out, err = _cli(healthy)
    assert rc == 0 and "PASSED   status  finished, step 60/60" in out and "no red flags" in out, out + err
    rc, out, _ = _cli(warn, "--json")
    d = json.loads(out)
    assert rc == 1 == d["exit_code"] and d["counts"]["warning"] == 1, out
    assert [(f["name"], f["status"], f["figures"]["step"]) for f in d["findings"][1:]] == [("grad_norm", "warning", 45)]
    rc, out, _ = _cli(crit)
    line = next(l for l in out.splitlines() if "nan_loss" in l)
    assert rc == 2 and line.startswith("FAILED") and "at step 37" in line, out
    rc, _, err = _cli(tmp_path / "nope")
    assert rc == 2 and "no such run" in err


# ---- a run on GCS (the emulator) ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gcs():
    with gcs_bucket("monitor-test"): yield "gs://monitor-test"


# ---- checkpoint integrity on a real training run --------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    "A 4-step training run with sql_codegen_slm.train.train: checkpoint-2, checkpoint-4, final/."
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error(); hf_logging.disable_progress_bar()
    from sql_codegen_slm.config import load_config
    from sql_codegen_slm.pretrained import tiny_model_dir
    from sql_codegen_slm.train import train
    d = tmp_path_factory.mktemp("real")
    model = "tiny"
    if not (tiny_model_dir() / "config.json").is_file():  # the embedded model not built in this checkout: a throwaway one
        from transformers import MistralConfig, MistralForCausalLM
        from sql_codegen_slm.tiny import train_tiny_tokenizer
        from sql_codegen_slm.data import read_records
        from sql_codegen_slm.prompts import render_mistral
        texts = [render_mistral(r["messages"]) for r in read_records("sample:train.jsonl")[:100]]
        tok = train_tiny_tokenizer(texts, vocab_size=512)
        model = str(d / "base")
        MistralForCausalLM(MistralConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                                         num_key_value_heads=2, max_position_embeddings=1024, bos_token_id=1, eos_token_id=2)).save_pretrained(model)
        tok.save_pretrained(model)
    cfg = load_config("smoke", [f"model.name={model}", f"training.output_dir={d / 'run'}", "training.max_steps=4", "training.save_steps=2",
                                "training.eval_steps=2", "logging.report_to=[]", "data.max_samples_train=8", "data.max_samples_val=4",
                                # the embedded model was pre-trained on the sample training set (loss ~0.1, held-out ~1.5): a real
                                # eval gap the monitor rightly flags. The healthy fixture evaluates on training rows instead.
                                "data.val_file=sample:train.jsonl"])
    t0 = time.time()
    res = train(cfg)
    print(f"4-step run: {time.time() - t0:.1f} s, model {model}")
    return Path(res.output_dir), model


def test_real_run_healthy_and_every_checkpoint_loads(real_run):
    run, model = real_run
    r = check_run(run)
    assert status(r)["global_step"] == 4 and status(r)["checkpoints"] == [2, 4] and status(r)["final_saved"]
    assert exit_code(r) == 0, flags(r)
    cfg = json.loads((run / "checkpoint-2" / "adapter_config.json").read_text())
    if model == "tiny": assert Path(cfg["base_model_name_or_path"]).name == "tiny_model"
    ck = check_checkpoints(run)
    assert [(f.name, f.status, f.figures["max_abs_diff"], f.figures["logits_finite"]) for f in ck] == \
           [("checkpoint-2", "passed", 0.0, True), ("checkpoint-4", "passed", 0.0, True), ("final", "passed", 0.0, True)]
    assert exit_code(ck) == 0


def test_truncated_checkpoint_is_named(real_run, tmp_path):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(real_run[0], run)
    f = run / "checkpoint-2" / "adapter_model.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    from sql_codegen_slm.monitor import format_status
    ck = check_checkpoints(run)  # in process: the CLI's subprocess is tested above, and a second import costs ~10 s
    assert exit_code(ck) == 2
    out = format_status(check_run(run) + ck)
    line = next(l for l in out.splitlines() if "checkpoint-2 " in l)
    assert line.startswith("FAILED") and "truncated" in line, out
    assert next(l for l in out.splitlines() if "checkpoint-4 " in l).startswith("PASSED"), out


def test_gcs_run_status_and_checkpoints(real_run, gcs):
    "The same run mirrored to gs:// (with _COMPLETE markers); one upload cut short (no marker) is named."
    from sql_codegen_slm import storage
    from sql_codegen_slm.run import sync_run
    run, _ = real_run
    url = f"{gcs}/real"
    sync_run(run, url)  # the checkpoints, final/ and the representations, as the callbacks mirror them
    r = check_run(url)
    assert exit_code(r) == 0 and status(r)["checkpoints"] == [2, 4] and status(r)["final_saved"], flags(r)
    ck = check_checkpoints(url)
    assert [f.status for f in ck] == ["passed", "passed", "passed"], ck
    fs, root = storage.fs_for(url)
    fs.rm_file(f"{root}/checkpoint-4/_COMPLETE")
    assert ("checkpoint_incomplete", 4, "warning") in flags(check_run(url))


def test_sql_metrics_below_the_config_range(tmp_path):
    "The expected SQL ranges come from the run's config.yaml; the same detector as the live callback flags them."
    hist = _hist(_healthy(), evals={20: 1.0, 40: 0.9, 60: 0.8})
    for h, acc in zip([h for h in hist if "eval_loss" in h], (0.05, 0.5, 0.2)): h.update(eval_execution_accuracy=acc)
    run = make_run(tmp_path, hist, [20, 40, 60], 60)
    assert flags(check_run(run)) == []  # no range stated
    (run / "checkpoint-60" / "config.yaml").write_text(
        "logging:\n  min_execution_accuracy: 0.3\n  expect_after_step: 30\n")
    assert flags(check_run(run)) == [("low_execution_accuracy", 60, "warning")]


# ---- batch noise: a healthy run on small batches is not a rising loss ------------------------------------------------
FIXTURES = Path(__file__).parent / "fixtures"


def _fixture(name):
    "The log history of tests/fixtures/NAME.json (a trainer_state.json: a real run's may replace the synthetic one)."
    return json.loads((FIXTURES / f"{name}.json").read_text())["log_history"]


def test_healthy_noisy_run_raises_nothing(tmp_path):
    "Train loss +-60% from one log to the next (8-row batches), eval loss falling: once 'FAILED loss_rising 140%'."
    hist = _fixture("healthy_noisy")
    run = make_run(tmp_path, hist, [40, 80, 120], 120, save_steps=40)
    r = check_run(run)
    assert flags(r) == [] and exit_code(r) == 0, flags(r)
    rc, out, err = _cli(run)
    assert rc == 0 and "no red flags" in out, out + err


def test_diverging_noisy_run_fails(tmp_path):
    "The same noise on a loss that climbs ten-fold after step 40, the eval loss with it: failed, from the bottom."
    r = check_run(make_run(tmp_path, _fixture("diverging_noisy"), [40, 80, 120], 120, save_steps=40))
    (name, step, st), = flags(r)
    f = next(f for f in r if f.name == "loss_rising")
    assert (name, st) == ("loss_rising", "failed") and 30 <= step <= 50 and "eval_loss rose" in f.message, f.message
    assert exit_code(r) == 2


def test_nan_in_a_noisy_run_is_flagged_at_once(tmp_path):
    hist = [dict(h, loss=float("nan")) if h["step"] == 60 and "loss" in h else h for h in _fixture("healthy_noisy")]
    r = check_run(make_run(tmp_path, hist, [40, 80, 120], 120, save_steps=40))
    assert flags(r) == [("nan_loss", 60, "failed")] and exit_code(r) == 2


# ---- a run it cannot read: one line, at once ------------------------------------------------------------------------
def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _no_dns() -> bool:
    import socket
    try: socket.getaddrinfo("storage.googleapis.com", 443); return False
    except OSError: return True


@pytest.mark.parametrize("cli", ["monitor", "drift"])
def test_gs_url_without_network_or_credentials_is_one_line_at_once(tmp_path, cli):
    "Once: 84 s of gcsfs tracebacks, then 'no such run directory' for a URL that could not even be reached."
    env = {k: v for k, v in os.environ.items() if k not in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS")}
    port = _closed_port()
    cases = [({"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"}, [f"cannot reach 127.0.0.1:{port}", "network"]),
             ({"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "key.json")},
              [f"GOOGLE_APPLICATION_CREDENTIALS={tmp_path / 'key.json'} is not a file"])]
    if _no_dns(): cases.append(({}, ["cannot reach storage.googleapis.com:443", "network"]))  # this machine: offline
    if cli == "drift": cases = cases[:1]  # the same remote.remote_kind as the monitor's; each drift process loads torch
    for extra, words in cases:
        t0 = time.time()
        p = subprocess.run([sys.executable, "-m", f"sql_codegen_slm.{cli}", "gs://some-bucket/run"], env=env | extra,
                           capture_output=True, text=True, timeout=120, cwd=REPO)
        took = time.time() - t0
        errs = [l for l in p.stderr.splitlines() if l.startswith(f"sql-codegen-{cli}: error: gs://some-bucket/run: ")]
        assert p.returncode == 2 and len(errs) == 1 and all(w in errs[0] for w in words), (extra, p.stderr[-2000:])
        # at once: under the 84 s of retries it once took; a drift process imports torch, up to ~35 s on a busy 2-core CI
        assert "Traceback" not in p.stderr and took < 60, (took, p.stderr[-2000:])


def test_cli_inputs_that_are_not_runs(tmp_path):
    "What the monitor takes: a file that is not a trainer_state.json, a run whose state is damaged, an empty dir."
    cases = {"notes.txt": b"hello", "list.json": b"[1, 2]", "binary.json": b"\xff\xfe\x00",
             "history.json": b'{"global_step": 3, "log_history": ["a"]}', "step.json": b'{"global_step": "x"}'}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        rc, out, err = _cli(tmp_path / name)
        lines = err.strip().splitlines()
        assert rc == 2 and len(lines) == 1 and str(tmp_path / name) in lines[0], (name, rc, out, err)
    run = make_run(tmp_path / "run", _hist(_healthy()), [20, 40, 60], 60)
    (run / "checkpoint-60" / "trainer_state.json").write_text('["not", "a", "state"]')
    r = check_run(run)
    assert ("state_unreadable", 60, "warning") in flags(r)
    assert status(r)["state_file"] == "checkpoint-40/trainer_state.json"
    (tmp_path / "empty").mkdir()
    rc, out, err = _cli(tmp_path / "empty")
    assert rc == 2 and "no_state" in out, out + err


@pytest.mark.parametrize("name", ["real_smollm2_135m_h100", "real_gemma3_270m_h100"])
def test_real_pretrained_runs_raise_nothing(tmp_path, name):
    "SmolLM2-135M and Gemma-3-270M fine-tuned by the `real` preset (bench/RESULTS.md): healthy real runs, no flag."
    hist = _fixture(name)
    steps = max(h["step"] for h in hist)
    r = check_run(make_run(tmp_path, hist, [s for s in range(100, steps + 1, 100)] + [steps], steps, save_steps=100))
    assert flags(r) == [] and exit_code(r) == 0, flags(r)
