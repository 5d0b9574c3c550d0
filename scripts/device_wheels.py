"""Wheels for a bare GPU box (python 3.12, torch with CUDA already there) that cannot reach a package index.

    python scripts/device_wheels.py [DEST] [--cuda 130] [--papermill] [--unsloth] [--judge] [--real]

Downloads, without dependencies, what the project needs beyond torch/transformers/peft/accelerate into DEST
(default `.wheels`, git-ignored): bitsandbytes, liger-kernel, pglast, datasets and its small deps, fastcore,
mistral-common + sentencepiece + protobuf (to build Mistral-7B-v0.1's real tokenizer); with
`--papermill` also papermill + ipykernel and their deps (to run nbs/train.ipynb there). The device tool carries at most
64 MiB, so two wheels are slimmed in place: bitsandbytes keeps only the CUDA library for `--cuda` (the box's
`torch.version.cuda` without the dot; the wheel ships seven, 129 MB unpacked) and pglast drops its C source;
mistral-common keeps only `data/tokenizer.model.v1` of its tokenizer files (6.3 MB → ~0.6 MB), all that
`sql_codegen_slm.tokenizer` reads from it (installed `--no-deps`, its own imports are never used).
With `--judge` also pgserver and psycopg (PostgreSQL 16 for the SQL judge, ~16 MB); with `--real` the `gguf` reader
(the real models' files themselves are carried apart: bench/device_models.py). With `--unsloth` also Unsloth, unsloth_zoo and trl (the Unsloth rows of bench/train_throughput.py): unsloth's wheel
(28 MB) is slimmed to its library, without `studio/` and `unsloth_cli/` (~1.5 MB). Everything else they import on the
way to `FastLanguageModel` is in the GPU box's image (torch 2.11, transformers 5.17 — the newest Unsloth 2026.10.9
accepts —, peft, accelerate, pillow, torchvision, pandas, pyarrow, rich, typer, ...) or among the wheels above; they run
offline with `UNSLOTH_DISABLE_STATISTICS=1 HF_HUB_OFFLINE=1`.
Install there with `python3 -m pip install --no-index --no-deps --target /tmp/site DEST/*.whl` and
`PYTHONPATH=/tmp/site:$PWD`, leaving the box's torch alone.
"""
import argparse, subprocess, sys, zipfile
from pathlib import Path

CORE = ["bitsandbytes==0.50.2", "liger-kernel", "pglast", "datasets", "dill", "multiprocess", "xxhash", "fastcore<2",
        "mistral-common", "sentencepiece", "protobuf"]  # the last three: the real Mistral-7B tokenizer (gpu_smoke.py)
# papermill + ipykernel and their deps, less what any torch/transformers box has (pyyaml, tqdm, packaging, psutil, ...)
PAPERMILL = ["papermill", "ipykernel", "nbclient", "nbformat", "jupyter_client", "jupyter_core", "traitlets", "pyzmq",
             "tornado", "comm", "nest_asyncio2", "matplotlib-inline", "ipython", "ipython_pygments_lexers", "pygments",
             "prompt_toolkit", "wcwidth", "decorator", "pexpect", "ptyprocess", "stack_data", "asttokens", "executing",
             "pure_eval", "jedi", "parso", "click", "entrypoints", "tenacity", "requests", "urllib3", "certifi", "idna",
             "charset_normalizer", "fastjsonschema", "jsonschema", "jsonschema-specifications", "referencing",
             "rpds-py", "attrs", "platformdirs", "python-dateutil", "six"]
UNSLOTH = ["unsloth==2026.10.9", "unsloth_zoo==2026.10.9", "trl==1.15.0"]
JUDGE = ["pgserver", "psycopg", "psycopg-binary", "fasteners", "platformdirs"]  # PostgreSQL 16 for the SQL judge
REAL = ["gguf"]  # transformers reads GGUF files with it (sql_codegen_slm.pretrained); the model files travel apart
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_26_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64",
             "manylinux1_x86_64"]

def slim(whl: Path, drop) -> int:
    "Rewrite a wheel without the members `drop(name)` selects (and their RECORD lines); returns bytes saved."
    before, tmp = whl.stat().st_size, whl.with_suffix(".tmp")
    with zipfile.ZipFile(whl) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if drop(info.filename): continue
            data = src.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                data = "".join(l for l in data.decode().splitlines(True) if not drop(l.split(",")[0])).encode()
            dst.writestr(info, data)
    tmp.replace(whl)
    return before - whl.stat().st_size

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", nargs="?", default=".wheels")
    ap.add_argument("--cuda", default="130", help="CUDA version of the box's torch, e.g. 130 for 13.0")
    ap.add_argument("--papermill", action="store_true", help="also papermill + ipykernel and their deps")
    ap.add_argument("--unsloth", action="store_true", help="also unsloth, unsloth_zoo, trl (the bench's Unsloth rows)")
    ap.add_argument("--judge", action="store_true", help="also pgserver + psycopg (judge SQL on PostgreSQL there)")
    ap.add_argument("--real", action="store_true", help="also gguf (real pretrained models from GGUF files)")
    a = ap.parse_args(argv)
    dest = Path(a.dest); dest.mkdir(parents=True, exist_ok=True)
    pkgs = CORE + (PAPERMILL if a.papermill else []) + (UNSLOTH if a.unsloth else []) + (JUDGE if a.judge else []) \
        + (REAL if a.real else [])
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest), "--only-binary=:all:",
                    "--python-version", "3.12", *[f"--platform={p}" for p in PLATFORMS], *pkgs], check=True)
    keep = f"libbitsandbytes_cuda{a.cuda}.so"
    for whl in dest.glob("bitsandbytes-*.whl"):
        print(f"{whl.name}: -{slim(whl, lambda n: '/libbitsandbytes_cuda' in n and not n.endswith(keep)) / 2**20:.0f} MB")
    for whl in dest.glob("pglast-*.whl"):
        print(f"{whl.name}: -{slim(whl, lambda n: n.endswith('.c')) / 2**20:.0f} MB")
    for whl in dest.glob("mistral_common-*.whl"):
        drop = lambda n: n.startswith("mistral_common/data/") and not n.endswith("/tokenizer.model.v1")
        print(f"{whl.name}: -{slim(whl, drop) / 2**20:.1f} MB")
    for whl in dest.glob("unsloth-*.whl"):
        drop = lambda n: n.startswith(("studio/", "unsloth_cli/"))
        print(f"{whl.name}: -{slim(whl, drop) / 2**20:.1f} MB")
    total = sum(f.stat().st_size for f in dest.glob("*.whl"))
    print(f"{len(list(dest.glob('*.whl')))} wheels, {total / 2**20:.1f} MiB in {dest}" + ("  (over the 64 MiB carry!)" if total > 64 * 2**20 else ""))

if __name__ == "__main__":
    main()
