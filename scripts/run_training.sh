#!/usr/bin/env bash
# Launch the real training run: check Colab, GPU and GCS access first, print start and estimated end time,
# train with `sql-codegen-train --resume_from_checkpoint latest` (tee'd into a log), and on failure show the log tail
# and how to resume.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run_training.sh [--config NAME|YAML] [--remote_dir URL] [--bucket NAME] [--output_dir DIR]
                               [--set KEY=VALUE]... [--log FILE] [--mirror_timeout S] [--no_preflight]

Before training:
  - detects Colab; checks for a CUDA GPU (a multi-billion-parameter model such as the `full` preset's Mistral-7B
    is refused without one: 4-bit QLoRA needs CUDA);
  - when the remote is gs://..., checks the credentials by writing, reading back and deleting a tiny object;
  - runs the preflight (python -m sql_codegen_slm.preflight) and prints the start time and the estimated end time.
Then runs `sql-codegen-train --resume_from_checkpoint latest ...`: a fresh run starts from scratch, a re-run after a
disconnect resumes from the newest complete checkpoint (local output_dir first, else the remote).

Options:
  --config NAME|YAML   preset (full, smoke) or YAML file (default: full)
  --remote_dir URL     mirror checkpoints here (default: the config's logging.remote_dir), e.g. gs://my-bucket/run
  --bucket NAME        replaces YOUR-BUCKET-NAME in the config (default: $GCS_BUCKET)
  --output_dir DIR     local output directory (default: the config's training.output_dir)
  --set KEY=VALUE      config override, repeatable, e.g. --set training.learning_rate=1e-4
  --log FILE           training log (default: OUTPUT_DIR/train-YYYYmmdd-HHMMSS.log)
  --mirror_timeout S   seconds the trainer waits at the end for uploads to the remote (default: the trainer's, 120)
  --no_preflight       skip the preflight report and time estimate
  -h, --help           this help

Exit status: 0 training finished; 1 training failed; 2 refused before starting (no GPU, no GCS access, bad config);
3 training finished but not mirrored: everything is on the local disk, not (all) in the remote (the sync command
to run is printed).
USAGE
}

CONFIG="full"; REMOTE=""; BUCKET="${GCS_BUCKET:-}"; OUTPUT=""; LOG=""; PREFLIGHT=1; MIRROR_TIMEOUT=""
SETS=()
need() { [[ $# -ge 2 ]] || { echo "$1 needs a value (see --help)" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --config) need "$@"; CONFIG="$2"; shift 2 ;;
    --remote_dir) need "$@"; REMOTE="$2"; shift 2 ;;
    --bucket) need "$@"; BUCKET="$2"; shift 2 ;;
    --output_dir) need "$@"; OUTPUT="$2"; shift 2 ;;
    --set) need "$@"; SETS+=("$2"); shift 2 ;;
    --log) need "$@"; LOG="$2"; shift 2 ;;
    --mirror_timeout) need "$@"; MIRROR_TIMEOUT="$2"; shift 2 ;;
    --no_preflight) PREFLIGHT=0; shift ;;
    --*=*) k="${1%%=*}"; v="${1#*=}"; shift; set -- "$k" "$v" "$@" ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

PY="${PYTHON:-$(command -v python || command -v python3)}"
refuse() { echo; echo "REFUSED: $*" >&2; exit 2; }

# --- environment -----------------------------------------------------------------------------------------------
if [[ -n "${COLAB_RELEASE_TAG:-}" || -d /content ]]; then IN_COLAB=1; echo "environment: Google Colab"; else IN_COLAB=0; echo "environment: not Colab ($(uname -sm))"; fi

# Resolve the config once (validates it, applies --set/--bucket/--output_dir) and read what the checks need.
SET_ARGS=(); for s in ${SETS[@]+"${SETS[@]}"}; do SET_ARGS+=(--set "$s"); done
[[ -n "$OUTPUT" ]] && SETS+=("training.output_dir=$OUTPUT")
INFO=$("$PY" - "$CONFIG" "$BUCKET" "$REMOTE" ${SETS[@]+"${SETS[@]}"} <<'PYEOF'
import sys, torch
from sql_codegen_slm.config import load_config, resolve_bucket, ConfigError
config, bucket, remote, sets = sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4:]
try: cfg = resolve_bucket(load_config(config, sets), bucket)
except (ConfigError, FileNotFoundError) as e: print(f"ERROR\x1fconfig {config}: {e}"); sys.exit(0)
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else ""
print("\x1f".join(["OK", cfg.model.name, str(cfg.training["output_dir"]), remote or cfg.logging.remote_dir or "", gpu]))
PYEOF
) || refuse "could not load the config or torch (see the error above)"
# \x1f separates the fields: tabs would collapse when one is empty
IFS=$'\x1f' read -r STATUS MODEL OUT_DIR REMOTE_URL GPU <<<"$INFO"
[[ "$STATUS" == "OK" ]] || refuse "${INFO#ERROR$'\x1f'}"

# --- GPU ---------------------------------------------------------------------------------------------------------
if [[ -n "$GPU" ]]; then
  echo "GPU: $GPU"
elif [[ "$MODEL" == "tiny" ]]; then
  echo "GPU: none (model.name=tiny: the embedded CPU model, fine for a pipeline check)"
else
  MSG="no GPU: config '$CONFIG' trains '$MODEL' with 4-bit QLoRA, which needs a CUDA GPU."
  if [[ $IN_COLAB == 1 ]]; then MSG+=" In Colab: Runtime > Change runtime type > A100 GPU, then run this again."
  else MSG+=" Run this on a GPU machine (an A100 40 GB is the target; nvidia-smi must list it)."; fi
  MSG+=" To check the pipeline on this CPU instead: scripts/run_validation.sh (embedded tiny model), or --config smoke."
  refuse "$MSG"
fi

# --- GCS ---------------------------------------------------------------------------------------------------------
if [[ "$REMOTE_URL" == *YOUR-BUCKET-NAME* ]]; then
  refuse "the remote '$REMOTE_URL' still holds YOUR-BUCKET-NAME: pass --bucket my-bucket (or set GCS_BUCKET, or --remote_dir gs://my-bucket/run)."
fi
if [[ "$REMOTE_URL" == gs://* || "$REMOTE_URL" == gcs://* ]]; then
  echo "checking GCS access to $REMOTE_URL ..."
  if ! PROBE=$("$PY" - "$REMOTE_URL" <<'PYEOF' 2>&1
import sys
from sql_codegen_slm.remote import probe_url
ok, what = probe_url(sys.argv[1], timeout=60)
print(what); sys.exit(0 if ok else 1)
PYEOF
  ); then
    HINT="gcloud auth application-default login (or GOOGLE_APPLICATION_CREDENTIALS=/path/to/key.json)"
    [[ $IN_COLAB == 1 ]] && HINT="in a notebook cell: from google.colab import auth; auth.authenticate_user()"
    refuse "cannot write to $REMOTE_URL: $(echo "$PROBE" | tail -n 1). Check the bucket name and your credentials: $HINT."
  fi
  echo "GCS: $PROBE"
elif [[ -n "$REMOTE_URL" ]]; then
  echo "remote: $REMOTE_URL"
else
  echo "remote: none (checkpoints stay on this disk only: a lost runtime loses them; pass --remote_dir gs://...)"
fi

# --- preflight and time estimate ---------------------------------------------------------------------------------
START=$(date +%s)
EST="unknown"
if [[ $PREFLIGHT == 1 ]]; then
  PF_ARGS=(--config "$CONFIG" --no-remote --json ${SET_ARGS[@]+"${SET_ARGS[@]}"})
  [[ -n "$BUCKET" ]] && PF_ARGS+=(--bucket "$BUCKET")
  PF_RC=0
  PF=$("$PY" -m sql_codegen_slm.preflight "${PF_ARGS[@]}" 2>/dev/null) || PF_RC=$?
  SUMMARY=$("$PY" - "$PF" <<'PYEOF' || echo unknown
import json, sys
try: d = json.loads(sys.argv[1])
except Exception: print("unknown"); sys.exit(0)
bad = "; ".join(f["name"] + ": " + f["message"] + (" -> " + f["advice"] if f.get("advice") else "")
               for f in d["findings"] if f["status"] == "failed")
e = d.get("estimate") or {}
print("\x1f".join([str(round(e["hours"] * 3600)) if e.get("hours") else "unknown", bad, e.get("summary", "")]))
PYEOF
)
  IFS=$'\x1f' read -r EST_S PF_FAILED PF_SUMMARY <<<"$SUMMARY"
  if [[ $PF_RC -ne 0 && -n "${PF_FAILED:-}" ]]; then
    refuse "preflight failed: $PF_FAILED. Fix it, or skip the preflight with --no_preflight."
  fi
  if [[ "$EST_S" =~ ^[0-9]+$ ]]; then EST="$(date -d "@$((START + EST_S))" '+%Y-%m-%d %H:%M:%S %Z') (${PF_SUMMARY:-preflight estimate})"; fi
fi
echo "start:            $(date -d "@$START" '+%Y-%m-%d %H:%M:%S %Z')"
echo "estimated end:    $EST"

# --- train -------------------------------------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
LOG="${LOG:-$OUT_DIR/train-$(date -d "@$START" +%Y%m%d-%H%M%S).log}"
mkdir -p "$(dirname "$LOG")"
if command -v sql-codegen-train >/dev/null 2>&1; then TRAIN=(sql-codegen-train); else TRAIN=("$PY" -m sql_codegen_slm.train); fi
CMD=("${TRAIN[@]}" --config "$CONFIG" --resume_from_checkpoint latest ${SET_ARGS[@]+"${SET_ARGS[@]}"})
[[ -n "$OUTPUT" ]] && CMD+=(--output_dir "$OUTPUT")
[[ -n "$REMOTE" ]] && CMD+=(--remote_dir "$REMOTE")
[[ -n "$BUCKET" ]] && CMD+=(--bucket "$BUCKET")
[[ -n "$MIRROR_TIMEOUT" ]] && CMD+=(--mirror_timeout "$MIRROR_TIMEOUT")
RESUME_HINT="Fix the cause, then run the same command again: $0 $(printf '%q ' --config "$CONFIG" ${SET_ARGS[@]+"${SET_ARGS[@]}"} ${OUTPUT:+--output_dir "$OUTPUT"} ${REMOTE:+--remote_dir "$REMOTE"} ${BUCKET:+--bucket "$BUCKET"})
  It resumes from the newest complete checkpoint (in $OUT_DIR, else ${REMOTE_URL:-no remote set}); training state, optimizer and data order are restored."
trap 'echo; echo "interrupted. $RESUME_HINT" >&2; exit 130' INT TERM
echo "running: ${CMD[*]}"
echo "log:     $LOG"
RC=0
"${CMD[@]}" 2>&1 | tee -a "$LOG" || RC=$?
trap - INT TERM
END=$(date +%s)
ELAPSED="$(( (END - START) / 3600 )) h $(( (END - START) % 3600 / 60 )) min $(( (END - START) % 60 )) s"
if [[ $RC -eq 3 ]]; then  # the trainer's EXIT_NOT_MIRRORED: done, nothing lost, the remote lacks part of it
  SYNC=$(sed -n 's/.*When the remote is reachable again, run: //p' "$LOG" | tail -n 1)
  SYNC="${SYNC:-$PY -m sql_codegen_slm.storage sync $(printf '%q' "$OUT_DIR") $(printf '%q' "$REMOTE_URL")}"
  echo
  echo "TRAINING FINISHED at $(date -d "@$END" '+%Y-%m-%d %H:%M:%S %Z') after $ELAPSED; NOT MIRRORED: the final model"
  echo "and checkpoints are in $OUT_DIR, but not all of it reached ${REMOTE_URL:-the remote}. Log: $LOG"
  echo "When the remote is reachable again, run: $SYNC"
  exit 3
fi
if [[ $RC -ne 0 ]]; then
  echo
  echo "TRAINING FAILED (exit $RC) at $(date -d "@$END" '+%Y-%m-%d %H:%M:%S %Z') after $ELAPSED. Last 30 lines of $LOG:"
  tail -n 30 "$LOG" | sed 's/^/  | /'
  echo
  echo "$RESUME_HINT"
  exit 1
fi
echo
echo "TRAINING FINISHED at $(date -d "@$END" '+%Y-%m-%d %H:%M:%S %Z') after $ELAPSED. Log: $LOG"
