"""Issue 13's figures, printed as markdown: (1) data cache miss vs hit for the sample train file read from the GCS
emulator, (2) bytes mirrored per checkpoint (checkpoint, and the logs sent with it: run.log, trainer_state.json,
TensorBoard events) for the tiny model in the full preset, (3) the sample data's token lengths under the real Mistral-7B
tokenizer (from mistral-common) and the tiny one. CPU only: `PYTHONPATH=. python bench/data_and_logs.py`."""
import os, statistics, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
from gcs_emulator import gcs_bucket

STEPS = 6
OVERRIDES = ["model.name=tiny", f"training.max_steps={STEPS}", "training.save_steps=2", "training.eval_steps=6",
             "logging.logging_steps=1", "training.per_device_train_batch_size=4", "training.per_device_eval_batch_size=8",
             "model.max_seq_length=256", "data.max_samples_val=8"]


def cache_timings(n=5):
    from sql_codegen_slm.data import fetch_data, sample_data_dir
    size = (sample_data_dir() / "train.jsonl").stat().st_size
    print(f"\n### Data cache: sample train.jsonl ({size:,} bytes) from the GCS emulator\n\n| round | miss ms | hit ms (median of {n}) |\n|---|---|---|")
    for rep in range(3):
        cache = Path(tempfile.mkdtemp())
        t0 = time.perf_counter(); fetch_data("gs://bench/data/train.jsonl", cache); miss = time.perf_counter() - t0
        hits = []
        for _ in range(n):
            t0 = time.perf_counter(); fetch_data("gs://bench/data/train.jsonl", cache); hits.append(time.perf_counter() - t0)
        print(f"| {rep + 1} | {miss * 1000:.1f} | {statistics.median(hits) * 1000:.1f} |")


def mirrored_bytes(tmp):
    from sql_codegen_slm import storage
    from sql_codegen_slm.config import load_config, resolve_bucket
    from sql_codegen_slm.train import train
    cfg = resolve_bucket(load_config("full", OVERRIDES + [f"training.output_dir={tmp / 'run'}",
                                                         "data.train_file=gs://bench/data/train.jsonl",
                                                         "data.val_file=gs://bench/data/val.jsonl"]), "bench")
    r = train(cfg)
    logs, ck = r.log_bytes_uploaded, {c["step"]: c["bytes"] for c in storage.list_checkpoints(cfg.logging.remote_dir)}
    print(f"\n### Bytes mirrored, tiny model, full preset, {STEPS} steps, a checkpoint every 2, a log line every step\n")
    print("| upload | checkpoint/final bytes | logs bytes sent with it |\n|---|---|---|")
    for s in sorted(ck): print(f"| checkpoint-{s} | {ck[s]:,} | {logs.get(s, 0):,} |")
    print(f"| end | final/ {r.final_bytes_uploaded:,} | {logs['final']:,} |")
    sizes = {k: p.stat().st_size for k, p in storage.log_files(tmp / "run").items()}
    print(f"\nlog files at the end: {sizes}; remote total {storage.remote_bytes(cfg.logging.remote_dir):,} bytes")


def token_lengths_table():
    from transformers import AutoTokenizer
    from sql_codegen_slm.model import load_tokenizer
    from sql_codegen_slm.tokenizer import build_mistral_tokenizer, token_lengths
    toks = {"Mistral-7B-v0.1 (SentencePiece, 32,000)": AutoTokenizer.from_pretrained(
        build_mistral_tokenizer(Path(tempfile.mkdtemp()) / "m")), "tiny (BPE)": load_tokenizer("tiny")}
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
    print("\n### Token lengths of the sample data (prompt format of `data.tokenize_record`)\n")
    print("| tokenizer | file | part | n | median | p90 | max |\n|---|---|---|---|---|---|---|")
    for name, t in toks.items():
        for f in ("sample:train.jsonl", "sample:val.jsonl"):
            for part, xs in token_lengths(t, f).items():
                print(f"| {name} | {f} | {part} | {len(xs)} | {statistics.median(xs):.0f} | {q(xs, .9)} | {max(xs)} |")


if __name__ == "__main__":
    tmp = Path(tempfile.mkdtemp())
    os.environ["SQL_CODEGEN_CACHE"] = str(tmp / "cache")
    with gcs_bucket("bench"):
        from sql_codegen_slm.remote import fs_for
        from sql_codegen_slm.data import sample_data_dir
        fs, _ = fs_for("gs://bench")
        for n in ("train.jsonl", "val.jsonl"): fs.put_file(str(sample_data_dir() / n), f"bench/data/{n}")
        cache_timings()
        mirrored_bytes(tmp)
    token_lengths_table()
