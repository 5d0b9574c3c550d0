#!/usr/bin/env bash
# Put what the training VM needs into the bucket: the training data (checked first: a bad record fails here, named by
# file and line, not on the GPU) and the code as a tarball of this checkout, which the VM pip-installs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=scripts/gcp/common.sh
source "$HERE/common.sh"

TRAIN_FILE="${TRAIN_FILE:-sample:train.jsonl}"
VAL_FILE="${VAL_FILE:-sample:val.jsonl}"

usage() {
  cat <<USAGE
Usage: scripts/gcp/sync_data_to_gcp.sh [--data-only | --code-only] [--no-check] [--dry-run]

Uploads to gs://\$GCS_BUCKET/\$GCS_PREFIX/:
  data/train.jsonl, data/val.jsonl   from \$TRAIN_FILE, \$VAL_FILE (after checking every record)
  code/sql-codegen-slm.tar.gz        this checkout (git archive of HEAD plus uncommitted changes to tracked files)
where scripts/gcp/create_training_instance.sh tells the VM to look for them.

Options:
  --data-only     upload the data, not the code
  --code-only     upload the code, not the data
  --no-check      upload the data without checking its records
  --dry-run       print the gcloud commands, upload nothing (gcloud is not needed)
  -h, --help      this help

$(env_help)
  GCS_BUCKET       bucket name (no gs://)                           [${GCS_BUCKET:-unset: required}]
  GCS_PREFIX       folder in the bucket                             [$GCS_PREFIX]
  TRAIN_FILE       training JSONL (sample:NAME = the shipped sample) [$TRAIN_FILE]
  VAL_FILE         validation JSONL                                 [$VAL_FILE]
USAGE
}

DATA=1; CODE=1; CHECK=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --data-only) CODE=0; shift ;;
    --code-only) DATA=0; shift ;;
    --no-check) CHECK=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $DATA == 1 || $CODE == 1 ]] || die "--data-only and --code-only together upload nothing"
require_bucket
require_gcloud
DEST="gs://$GCS_BUCKET/$GCS_PREFIX"
PY="${PYTHON:-$(command -v python || command -v python3)}"

if [[ $DATA == 1 ]]; then
  # resolve sample:NAME, check every record (the same reader training uses), print the local path
  for pair in "train:$TRAIN_FILE" "val:$VAL_FILE"; do
    name="${pair%%:*}"; src="${pair#*:}"
    path=$("$PY" - "$src" "$CHECK" <<'PY'
import sys
from sql_codegen_slm.data import resolve_data_path, load_records
p = resolve_data_path(sys.argv[1])
if not p.is_file(): sys.exit(f"{sys.argv[1]}: data file not found ({p})")
if sys.argv[2] == "1":
    try: recs, _ = load_records(p)
    except Exception as e: sys.exit(f"{e}\nfix the record (or pass --no-check to upload as is)")
    if not recs: sys.exit(f"{p}: no records")
    print(f"{p}: {len(recs)} records ok", file=sys.stderr)
print(p)
PY
    ) || die "$name data ($src) not uploaded: see the message above"
    run gcloud storage cp "$path" "$DEST/data/$name.jsonl"
  done
fi

if [[ $CODE == 1 ]]; then
  git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || die "$REPO is not a git checkout: cannot pack the code"
  TARBALL="${TMPDIR:-/tmp}/sql-codegen-slm-src.tar.gz"
  # `git stash create` gives a commit of the uncommitted changes to tracked files (nothing when the tree is clean)
  REF=$(git -C "$REPO" stash create); REF="${REF:-HEAD}"
  if [[ -n "$(git -C "$REPO" ls-files --others --exclude-standard)" ]]; then
    echo "note: untracked files are not uploaded (git add them)" >&2
  fi
  run git -C "$REPO" archive --format=tar.gz --prefix=sql-codegen-slm/ -o "$TARBALL" "$REF"
  run gcloud storage cp "$TARBALL" "$DEST/code/sql-codegen-slm.tar.gz"
fi
[[ $DRY_RUN == 1 ]] || echo "synced to $DEST/ — next: scripts/gcp/create_training_instance.sh --spot"
