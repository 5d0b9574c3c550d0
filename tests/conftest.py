"""Two speeds and two kinds of machine.

- `pytest -q tests` (the README's test command, with `nbdev_test`): the mechanics, in a few minutes on 2 cores.
  The end-to-end tests listed in `SLOW` (real processes, kills, emulators, a real pretrained model, the docs in a
  browser) are skipped with the reason printed, unless `--slow` is given or their file is named
  (`pytest -q tests/test_ddp.py` runs it whole). `.ci/run` runs them after the README's command:
  `pytest -q --slow -m slow tests`. Both run a worker per core (`-n auto` in pytest.ini), one torch thread each.
- A test that needs a program (`@pytest.mark.needs("chromium", how=...)`) skips with the reason printed where the
  program is missing — and fails where `CI` is set (`.ci/run` sets it), so CI never passes by skipping it."""
import os, shutil
from pathlib import Path
from collections import Counter

import pytest

CI = bool(os.environ.get("CI"))
if os.environ.get("PYTEST_XDIST_WORKER"):  # several workers share the cores: one torch thread each (also in the
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # processes tests start); two 2-thread workers on 2 cores run 3-5x slower

# files or test ids (a prefix of the node id) that run whole training runs, smokes, kills or browsers: seconds each
SLOW = (
    "tests/test_real_models.py::test_smoke_checks_pass",  # the smoke on SmolLM2-135M
    "tests/test_real_models.py::test_a_few_training_steps_lower_the_loss",
    "tests/test_real_models.py::test_our_decoder_equals_hf_generate",
    "tests/test_lose_nothing.py",  # whole runs: damaged checkpoints, reruns, start over, the remote gone
    "tests/test_full_run_gcs.py",
    "tests/test_storage_faults.py",  # the emulator down, kills during upload, damaged syncs
    "tests/test_smoke_gcs.py",
    "tests/test_interrupt.py",  # SIGTERM / Ctrl-C on a training process
    "tests/test_ddp.py",  # 2-process torchrun and accelerate
    "tests/test_fsdp.py::test_fsdp_training_on_cpu_",  # 2-process torchrun: FSDP refused on CPU
    "tests/test_fsdp.py::test_sharded_checkpoint_",  # 2-process torchrun: torch's FSDP2 on CPU, a sharded checkpoint
    "tests/test_docs.py",  # the site in headless Chromium
    "tests/test_colab_setup.py::test_train_",  # the Colab notebooks' setup cells, a Python process each
    "tests/test_colab_setup.py::test_restart_",
    "tests/test_colab_setup.py::test_validation_",
    "tests/test_datagen.py::test_twenty_generated_records_train_through_the_smoke",
    "tests/test_datagen.py::test_429_500_and_timeout_are_retried",
    "tests/test_scripts.py::test_run_validation",
    "tests/test_scripts.py::test_run_training_finished_not_mirrored",  # training with the GCS emulator stopped mid-run
    "tests/test_gcp_scripts.py::test_startup_script",
    "tests/test_preflight.py::test_gcs_remote_write_test",
    "tests/test_preflight.py::test_cli_",
    "tests/test_monitor.py::test_real_run_",
    "tests/test_monitor.py::test_gs_url_without_network",
    "tests/test_sample_data.py::test_make_synthetic_data_reproduces",
    "tests/test_sql_judge.py::test_cli_with_adapter",
    "tests/test_export.py::test_export_of_",  # a training run, an export and a fresh process each
    "tests/test_export.py::test_hub_dry_run_",  # three export processes
    "tests/test_export.py::test_agreement_of_a_4bit_trained_adapter",  # a 4-bit run, an export, 2 agreements
    "tests/test_quant_cpu.py::test_4bit_steps_",  # 3 training steps on bitsandbytes' CPU kernels
    "tests/test_predict.py::test_command_",  # a model and PostgreSQL in a process each
    "tests/test_validation_notebook.py",  # the validation notebook with its slow cells (its smoke)
)


def pytest_xdist_auto_num_workers(config):
    "`-n auto` (pytest.ini): a worker per core the process may use, at most 4 (each holds torch and a model in memory)."
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(4, cores))


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the slow end-to-end tests (.ci/run does)")


def pytest_configure(config):
    config.addinivalue_line("markers", "ddp: multi-process (torchrun, gloo) training tests; run alone with -m ddp")
    config.addinivalue_line("markers", "slow: an end-to-end test (tests/conftest.py SLOW); --slow runs it")
    config.addinivalue_line("markers", "needs(program, how): skipped where `program` is missing, failed under CI")


def _is_slow(item) -> bool: return item.nodeid.startswith(SLOW)


@pytest.hookimpl(tryfirst=True)  # before `-m slow` selects by the marker added here
def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--slow")
    named = {Path(a.split("::")[0]).resolve() for a in config.args if ".py" in a}
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
            if not (run_slow or Path(item.path).resolve() in named):
                item.add_marker(pytest.mark.skip(reason="slow end-to-end test: CI runs it; here: pytest --slow"))
        for m in item.iter_markers("needs"):
            prog, how = m.args[0], m.kwargs.get("how", "")
            if shutil.which(prog): continue
            msg = f"{prog} is not installed{': ' + how if how else ''}"
            if CI: item.user_properties.append(("missing", msg))
            else: item.add_marker(pytest.mark.skip(reason=msg))


def pytest_runtest_setup(item):
    "Under CI a missing program fails the test: CI must never pass by skipping it."
    missing = dict(item.user_properties).get("missing")
    if missing: pytest.fail(f"{missing} (CI is set: this test must run here)")


def pytest_terminal_summary(terminalreporter):
    "Skips grouped by reason, so a newcomer sees at once what did not run here and how to run it."
    reasons = Counter()
    for rep in terminalreporter.stats.get("skipped", []):
        r = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reasons[r.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.write_sep("-", "not run here")
        for r, n in reasons.most_common(): terminalreporter.write_line(f"{n:4} skipped: {r}")
