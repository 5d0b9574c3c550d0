"""The validation notebook top to bottom, its `#| slow` cells included (its smoke, the predictions, the report, the
cleanup), as `nbdev_test --flags slow` runs it: in CI this runs beside the other slow tests instead of after them."""
import os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_validation_notebook_with_its_slow_cells(tmp_path):
    nbdev_test = Path(sys.executable).with_name("nbdev_test")
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    r = subprocess.run([str(nbdev_test), "--flags", "slow", "--path", "nbs/validation_notebook.ipynb", "--do_print"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "Success" in r.stdout + r.stderr, (r.stdout + r.stderr)[-4000:]
