#!/usr/bin/env bash
# Startup script of the training VM (create_training_instance.sh attaches it). GCE runs it as root on EVERY boot:
#   1. if RUN_URL/DONE exists: the run is finished, stop the VM and do nothing else;
#   2. install the project into a venv (first boot only: the boot disk survives a stop or a Spot preemption);
#   3. pull train.jsonl / val.jsonl from DATA_URL;
#   4. sql-codegen-train --config TRAIN_CONFIG --remote_dir RUN_URL --resume_from_checkpoint latest TRAIN_ARGS
#      (resumes from the newest complete checkpoint in the bucket; local ones, maybe torn by the power cut, are
#      discarded: a preemption loses at most the steps since the last checkpoint that reached the bucket);
#   5. on success write RUN_URL/DONE, upload this boot's log to RUN_URL/logs/ and stop the VM; on failure upload the
#      log and stop the VM too (a broken run must not keep a GPU busy), so start it again once fixed.
# Settings: an environment variable of the same name wins (tests, or running it by hand), else the instance metadata
# attribute in brackets, else the default:
#   RUN_URL [run-url] (required), DATA_URL [data-url] (''), PACKAGE_SPEC [package-spec], TRAIN_CONFIG [train-config]
#   (full), TRAIN_ARGS [train-args] (''), HF_TOKEN_SECRET [hf-token-secret] ('': no Hugging Face token).
# Environment only, to run it off GCE: WORK_DIR (/var/lib/sql-codegen-slm), PYTHON (WORK_DIR/venv/bin/python),
#   TRAIN_CMD (WORK_DIR/venv/bin/sql-codegen-train), SKIP_INSTALL (0), STOP_CMD ('shutdown -h now', run by bash -c),
#   STOP_ON_FAILURE (1), TENSORBOARD (1: serve TensorBoard on localhost:6006), METADATA_URL (GCE's).
# Bucket operations go through Python/fsspec (gcsfs), which honours STORAGE_EMULATOR_HOST: tests run this script
# against the GCS emulator.
set -euo pipefail

METADATA_URL="${METADATA_URL:-http://metadata.google.internal/computeMetadata/v1/instance/attributes}"
# setting VAR KEY DEFAULT: keep $VAR if it is set (even to ''), else the metadata attribute KEY, else DEFAULT
setting() {
  local var=$1 key=$2 def=$3 val
  [[ -n "${!var+x}" ]] && return 0
  if val=$(curl -fsS --max-time 5 -H 'Metadata-Flavor: Google' "$METADATA_URL/$key" 2>/dev/null); then
    printf -v "$var" '%s' "$val"
  else
    printf -v "$var" '%s' "$def"
  fi
}
setting RUN_URL run-url ""
setting DATA_URL data-url ""
setting PACKAGE_SPEC package-spec ""
setting TRAIN_CONFIG train-config full
setting TRAIN_ARGS train-args ""
setting HF_TOKEN_SECRET hf-token-secret ""
WORK_DIR="${WORK_DIR:-/var/lib/sql-codegen-slm}"
VENV="$WORK_DIR/venv"
PYTHON="${PYTHON:-$VENV/bin/python}"
TRAIN_CMD="${TRAIN_CMD:-$VENV/bin/sql-codegen-train}"
SKIP_INSTALL="${SKIP_INSTALL:-0}"
STOP_CMD="${STOP_CMD:-shutdown -h now}"
STOP_ON_FAILURE="${STOP_ON_FAILURE:-1}"
TENSORBOARD="${TENSORBOARD:-1}"
export HOME="${HOME:-/root}"  # startup scripts may run without one; pip and the HF cache need it

mkdir -p "$WORK_DIR/logs"
BOOT="boot-$(date -u +%Y%m%d-%H%M%S)-$$"
LOG="$WORK_DIR/logs/$BOOT.log"
exec > >(tee -a "$LOG") 2>&1
say() { echo "[startup_train $(date -u +%H:%M:%S)] $*"; }

stop_vm() { say "stopping the VM: $STOP_CMD"; bash -c "$STOP_CMD"; }
fail() {
  say "FAILED: $*"
  if [[ -n "$RUN_URL" && -x "$PYTHON" ]]; then gcs put "$LOG" "$RUN_URL/logs/$BOOT-failed.log" || true; fi
  if [[ $STOP_ON_FAILURE == 1 ]]; then
    say "fix the cause, then start the VM again (gcloud compute instances start ...): it resumes from the last" \
      "checkpoint"
    stop_vm
  fi
  exit 1
}

# gcs OP URL [ARG]: exists (exit 0 yes / 1 no), get URL LOCAL, put LOCAL URL, write URL TEXT. Exit 3 on an error.
gcs() {
  "$PYTHON" - "$@" <<'PY'
import os, sys
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # gcsfs's experimental path hangs on the emulator
op, args = sys.argv[1], sys.argv[2:]
try:
    import fsspec
    url = args[1] if op == "put" else args[0]
    opts, emu = {}, os.environ.get("STORAGE_EMULATOR_HOST")
    if emu and url.startswith(("gs://", "gcs://")):
        opts = dict(token="anon", endpoint_url=emu if "://" in emu else f"http://{emu}")
    fs, path = fsspec.core.url_to_fs(url, **opts)
    if op == "exists": sys.exit(0 if fs.exists(path) else 1)
    elif op == "get": fs.get(path, args[1])
    elif op == "put": fs.put(args[0], path)
    elif op == "write": fs.pipe(path, args[1].encode())
    else: raise ValueError(f"unknown operation {op}")
except SystemExit: raise
except Exception as e:
    print(f"gcs {op} {' '.join(args[:2])}: {type(e).__name__}: {e}", file=sys.stderr); sys.exit(3)
PY
}

install() {
  [[ $SKIP_INSTALL == 1 ]] && { say "install skipped (SKIP_INSTALL=1): using $PYTHON"; return 0; }
  if [[ -f "$WORK_DIR/.installed" && "$(cat "$WORK_DIR/.installed")" == "$PACKAGE_SPEC" ]]; then
    say "installed on an earlier boot: $PACKAGE_SPEC"; return 0
  fi
  [[ -n "$PACKAGE_SPEC" ]] || fail "no package-spec metadata: what to install? (create_training_instance.sh sets it)"
  say "installing $PACKAGE_SPEC into $VENV"
  python3 -m venv "$VENV" 2>/dev/null \
    || { apt-get update -q && apt-get install -y -q python3-venv && python3 -m venv "$VENV"; } \
    || fail "could not create a Python venv in $VENV"
  "$VENV/bin/pip" install -q -U pip gcsfs || fail "pip install gcsfs failed"
  if [[ "$PACKAGE_SPEC" == gs://* ]]; then
    gcs get "$PACKAGE_SPEC" "$WORK_DIR/src.tar.gz" \
      || fail "cannot download $PACKAGE_SPEC (run scripts/gcp/sync_data_to_gcp.sh)"
    rm -rf "$WORK_DIR/src" && mkdir -p "$WORK_DIR/src"
    tar -xzf "$WORK_DIR/src.tar.gz" -C "$WORK_DIR/src" --strip-components=1 \
      || fail "$PACKAGE_SPEC is not a .tar.gz of the repo"
    "$VENV/bin/pip" install -q "$WORK_DIR/src[gpu]" || fail "pip install of $PACKAGE_SPEC failed"
  else
    "$VENV/bin/pip" install -q "$PACKAGE_SPEC" || fail "pip install $PACKAGE_SPEC failed"
  fi
  echo "$PACKAGE_SPEC" > "$WORK_DIR/.installed"
}

say "boot $BOOT on $(hostname): run ${RUN_URL:-?}, config $TRAIN_CONFIG"
[[ -n "$RUN_URL" ]] || fail "no run-url metadata (nor RUN_URL): where do checkpoints go?" \
  "(create_training_instance.sh sets it)"
install
[[ -x "$PYTHON" ]] || fail "$PYTHON not found: the install did not complete"

rc=0; gcs exists "$RUN_URL/DONE" || rc=$?
case $rc in
  0) say "$RUN_URL/DONE exists: the run is finished, nothing to do"; stop_vm; exit 0 ;;
  1) ;;
  *) fail "cannot read $RUN_URL (credentials, bucket name?)" ;;
esac

DATA_ARGS=()
if [[ -n "$DATA_URL" ]]; then
  mkdir -p "$WORK_DIR/data"
  for f in train.jsonl val.jsonl; do
    gcs get "$DATA_URL/$f" "$WORK_DIR/data/$f" \
      || fail "cannot download $DATA_URL/$f (run scripts/gcp/sync_data_to_gcp.sh)"
  done
  DATA_ARGS=(--set "data.train_file=$WORK_DIR/data/train.jsonl" --set "data.val_file=$WORK_DIR/data/val.jsonl")
  say "data: $DATA_URL -> $WORK_DIR/data ($(wc -l < "$WORK_DIR/data/train.jsonl") train rows)"
fi

if [[ -n "$HF_TOKEN_SECRET" ]]; then
  HF_TOKEN=$(gcloud secrets versions access latest --secret="$HF_TOKEN_SECRET") \
    || fail "cannot read Secret Manager secret $HF_TOKEN_SECRET"
  export HF_TOKEN
fi

OUT="$WORK_DIR/run"
# Resume only from the bucket: a checkpoint being saved when the VM lost power can be torn on this disk, and
# transformers would pick the newest local folder without checking it. The bucket's are verified (complete marker).
if compgen -G "$OUT/checkpoint-*" >/dev/null; then
  say "discarding local checkpoints (the bucket's newest verified one is used):" "$(cd "$OUT" && echo checkpoint-*)"
  rm -rf "$OUT"/checkpoint-*
fi
if [[ $TENSORBOARD == 1 && -x "$VENV/bin/tensorboard" ]]; then
  "$VENV/bin/tensorboard" --logdir "$OUT" --host localhost --port 6006 >/dev/null 2>&1 &
fi
read -ra TRAIN <<<"$TRAIN_CMD"
read -ra EXTRA <<<"$TRAIN_ARGS"
CMD=("${TRAIN[@]}" --config "$TRAIN_CONFIG" --output_dir "$OUT" --remote_dir "$RUN_URL" --resume_from_checkpoint latest
     ${DATA_ARGS[@]+"${DATA_ARGS[@]}"} ${EXTRA[@]+"${EXTRA[@]}"})
cd "$WORK_DIR/src" 2>/dev/null || cd "$WORK_DIR"  # a TRAIN_CONFIG YAML path is relative to the repo
say "running: ${CMD[*]}"
rc=0; "${CMD[@]}" || rc=$?
[[ $rc == 0 ]] || fail "training exited with $rc (log: $LOG)"

gcs write "$RUN_URL/DONE" "{\"finished_at\": \"$(date -u +%FT%TZ)\", \"host\": \"$(hostname)\", \"boot\": \"$BOOT\"}" \
  || fail "training finished but the DONE marker could not be written to $RUN_URL"
say "training finished: wrote $RUN_URL/DONE"
gcs put "$LOG" "$RUN_URL/logs/$BOOT.log" || say "could not upload the log (kept in $LOG)"
stop_vm
