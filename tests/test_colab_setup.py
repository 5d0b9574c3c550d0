"""The Colab notebooks' setup cells on a fresh runtime, without Colab: a fake `google.colab` package (auth, userdata,
drive record what they are asked) on the path, `pip install` recorded instead of run, and the notebooks' own cells run
in order in a new Python process, up to their first heavy cell. Checks: the install comes before any heavy import;
the restart guard names a package the install changed after it was imported (any package, not a fixed list); Google
sign-in happens only for a gs:// URL, and under a headless (papermill) kernel it is refused with what to do instead of
a prompt nobody can answer; the HF token is read from Colab's secrets and never printed or written; the Colab badges
point at settings.ini's repository."""
import json, os, re, subprocess, sys, textwrap
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "hf_fake_token_never_shown_0123456789"
HEAVY = ("torch", "transformers", "peft", "accelerate", "sql_codegen_slm")

FAKE_COLAB = {
    "__init__.py": "",
    "auth.py": "from fake_colab_log import log\ndef authenticate_user(): log('auth')\n",
    "drive.py": "from fake_colab_log import log\ndef mount(path): log('drive', path)\n",
    "userdata.py": textwrap.dedent("""\
        import os
        from fake_colab_log import log
        class SecretNotFoundError(Exception): pass
        class NotebookAccessError(Exception): pass
        def get(key):
            log('userdata.get', key)
            if 'FAKE_HF_SECRET' not in os.environ: raise SecretNotFoundError(key)
            return os.environ['FAKE_HF_SECRET']
        """),
}
FAKE_LOG = textwrap.dedent("""\
        import json, os, sys
        def log(event, *args):
            heavy = [m for m in %r if m in sys.modules]
            with open(os.environ['FAKE_COLAB_LOG'], 'a') as f: f.write(json.dumps([event, list(args), heavy]) + '\\n')
        """ % (HEAVY,))

# Runs in the new process: a runtime that has already imported `fakelib` 1.0 (and google.colab, unless headless); pip is
# recorded (and, with FAKE_UPGRADE, "upgrades" fakelib to 2.0); sql_codegen_slm counts as not installed for the check.
DRIVER = textwrap.dedent("""\
    import importlib.util, json, os, subprocess, sys
    from pathlib import Path
    sys.path.insert(0, os.environ['FAKE_SITE'])
    from fake_colab_log import log  # not through google.colab: a headless kernel has not imported it
    import fakelib
    if os.environ.get('FAKE_INTERACTIVE'): import google.colab
    _find, _run = importlib.util.find_spec, subprocess.run
    importlib.util.find_spec = lambda name, *a: None if name == 'sql_codegen_slm' else _find(name, *a)
    def run(cmd, *a, **k):
        if cmd[1:4] != ['-m', 'pip', 'install']: return _run(cmd, *a, **k)
        log('pip', cmd[-1])
        if os.environ.get('FAKE_UPGRADE'):
            meta = Path(os.environ['FAKE_SITE'], 'fakelib-1.0.dist-info', 'METADATA')
            meta.write_text(meta.read_text().replace('Version: 1.0', 'Version: 2.0'))
        return subprocess.CompletedProcess(cmd, 0)
    subprocess.run = run
    ns = {}
    for i, (src, params) in enumerate(json.loads(sys.argv[1])):
        if params: src += '\\n' + params
        log('cell', i)
        exec(compile(src, f'cell {i}', 'exec'), ns)
    log('done', 'HF_TOKEN set' if os.environ.get('HF_TOKEN') == os.environ.get('FAKE_HF_SECRET') else 'HF_TOKEN unset')
    """)


def setup_cells(nb: str, stop: str) -> list[str]:
    "The notebook's code cells before the markdown cell that starts with `stop` (its first heavy section)"
    cells = json.loads((ROOT / "nbs" / nb).read_text())["cells"]
    end = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "".join(c["source"]).startswith(stop))
    return ["".join(c["source"]) for c in cells[:end] if c["cell_type"] == "code"]


def run_setup(tmp, nb, stop, params="", interactive=True, secret=True, upgrade=False, env=None):
    "Run the setup cells as on a fresh Colab runtime; returns (the process, the recorded events)"
    site = tmp / "site"
    if not site.exists():
        for name, text in FAKE_COLAB.items():
            (site / "google" / "colab").mkdir(parents=True, exist_ok=True)
            (site / "google" / "colab" / name).write_text(text)
        (site / "fake_colab_log.py").write_text(FAKE_LOG)
        (site / "fakelib").mkdir(); (site / "fakelib" / "__init__.py").write_text("")
        (site / "fakelib-1.0.dist-info").mkdir()
        (site / "fakelib-1.0.dist-info" / "top_level.txt").write_text("fakelib\n")
    (site / "fakelib-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelib\nVersion: 1.0\n")
    log, home = tmp / "events.jsonl", tmp / "home"
    log.unlink(missing_ok=True); home.mkdir(exist_ok=True)
    cells = setup_cells(nb, stop)
    cells = [[c, params if i == 0 else ""] for i, c in enumerate(cells)]  # after the parameters cell, as papermill
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK", "HF_", "COLAB", "STORAGE_EM"))}
    e.update(FAKE_SITE=str(site), FAKE_COLAB_LOG=str(log), COLAB_RELEASE_TAG="release-colab-test", HOME=str(home),
             CLOUDSDK_CONFIG=str(tmp / "gcloud"), PYTHONPATH=f"{ROOT}{os.pathsep}{e.get('PYTHONPATH', '')}",
             IN_TEST="1", **(env or {}))
    if interactive: e["FAKE_INTERACTIVE"] = "1"
    if secret: e["FAKE_HF_SECRET"] = TOKEN
    if upgrade: e["FAKE_UPGRADE"] = "1"
    r = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(cells)], cwd=ROOT / "nbs", env=e, capture_output=True,
                       text=True, timeout=300)
    events = [json.loads(l) for l in log.read_text().splitlines()] if log.exists() else []
    return r, events


def names(events): return [e[0] for e in events if e[0] != "cell"]


def no_token_anywhere(r, tmp):
    assert TOKEN not in r.stdout + r.stderr, "the HF token was printed"
    written = [p for p in tmp.rglob("*") if p.is_file() and p.suffix != ".py" and TOKEN in p.read_text(errors="ignore")]
    assert not written, f"the HF token was written to {written}"


TRAIN = ("train.ipynb", "## Smoke")
VALIDATION = ("validation_notebook.ipynb", "## 3. Small data")


def test_train_smoke_without_bucket(tmp_path):
    "A smoke with no gs:// URL: install first, the HF secret read, no Google sign-in at all"
    r, ev = run_setup(tmp_path, *TRAIN)
    assert r.returncode == 0, r.stdout + r.stderr
    assert names(ev) == ["pip", "userdata.get", "done"], ev
    pip = ev[[e[0] for e in ev].index("pip")]
    assert pip[1] == [f"sql-codegen-slm[gpu] @ git+{SETTINGS['git_url']}@{SETTINGS['branch']}"], pip
    assert pip[2] == [], f"imported before the install: {pip[2]}"
    assert ev[-1][1] == ["HF_TOKEN set"]
    assert "no gs:// URL in this run: no Google sign-in needed" in r.stdout, r.stdout
    assert "HF_TOKEN read from Colab's secrets" in r.stdout
    no_token_anywhere(r, tmp_path)


def test_train_gs_remote_signs_in_after_install(tmp_path):
    r, ev = run_setup(tmp_path, *TRAIN, params='remote_dir = "gs://my-bucket/run"', secret=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert names(ev) == ["pip", "userdata.get", "auth", "done"], ev
    assert "no Hugging Face token (SecretNotFoundError)" in r.stdout and "add the secret HF_TOKEN" in r.stdout
    assert "Colab: signed in to Google Cloud for gs://my-bucket/run" in r.stdout


def test_train_headless_kernel_refuses_to_prompt(tmp_path):
    "papermill on Colab: no google.colab in the kernel, nobody to answer a prompt: a clear error, no prompt shown"
    r, ev = run_setup(tmp_path, *TRAIN, params='remote_dir = "gs://my-bucket/run"', interactive=False)
    assert r.returncode != 0
    assert names(ev) == ["pip"], ev  # neither the secret nor the sign-in was asked for
    assert "cannot show the sign-in prompt" in r.stderr and "auth.authenticate_user()" in r.stderr, r.stderr[-2000:]
    adc = tmp_path / "gcloud" / "application_default_credentials.json"
    adc.parent.mkdir(); adc.write_text("{}")  # credentials the parent notebook's sign-in left: used, no prompt
    r, ev = run_setup(tmp_path, *TRAIN, params='remote_dir = "gs://my-bucket/run"', interactive=False)
    assert r.returncode == 0 and names(ev) == ["pip", "done"], (ev, r.stderr[-2000:])
    assert f"headless kernel, using the credentials at {adc}" in r.stdout


def test_restart_guard_names_any_upgraded_package(tmp_path):
    r, ev = run_setup(tmp_path, *TRAIN, upgrade=True)
    assert r.returncode != 0 and names(ev) == ["pip"], ev
    assert "fakelib 1.0 -> 2.0" in r.stderr and "Runtime > Restart session" in r.stderr, r.stderr[-2000:]


def test_validation_notebook_installs_before_torch(tmp_path):
    "The validation notebook: install before its GPU cell imports torch; sign-in only once BUCKET is set"
    r, ev = run_setup(tmp_path, *VALIDATION)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert names(ev) == ["pip", "userdata.get", "done"], ev
    assert ev[[e[0] for e in ev].index("pip")][2] == []
    assert "BUCKET not set" in r.stdout and "no gs:// URL" in r.stdout
    no_token_anywhere(r, tmp_path)
    src = "\n".join(setup_cells(*VALIDATION))
    assert src.index("pip") < src.index("import torch")


SETTINGS = (lambda c: (c.read(ROOT / "settings.ini"), c["DEFAULT"])[1])(ConfigParser())


@pytest.mark.parametrize("nb", ["train.ipynb", "validation_notebook.ipynb", "index.ipynb"])
def test_open_in_colab_badges(nb):
    "The badges open this repository's notebooks on Colab (settings.ini's user, lib_name and branch)"
    text = (ROOT / "nbs" / nb).read_text()
    urls = re.findall(r"\]\((https://colab\.research\.google\.com/[^)\\]+)\)", text)
    s = SETTINGS
    base = f"https://colab.research.google.com/github/{s['user']}/{s['lib_name']}/blob/{s['branch']}"
    want = {"train.ipynb": ["train.ipynb"], "validation_notebook.ipynb": ["validation_notebook.ipynb"],
            "index.ipynb": ["train.ipynb", "validation_notebook.ipynb"]}[nb]
    assert urls == [f"{base}/nbs/{w}" for w in want], urls
    assert all((ROOT / "nbs" / w).exists() for w in want)
    assert "images/colab-badge.svg" in text and (ROOT / "nbs" / "images" / "colab-badge.svg").exists()
