# shellcheck shell=bash
# Shared by scripts/gcp/*.sh (sourced, not run): the environment variables and their defaults, the GPU -> machine type
# table, and `run`, which prints a command (--dry-run) or runs it.

GCP_PROJECT_ID="${GCP_PROJECT_ID:-}"
GCP_ZONE="${GCP_ZONE:-us-central1-a}"
GCP_INSTANCE="${GCP_INSTANCE:-sql-codegen-train}"
GCP_GPU="${GCP_GPU:-a100-40gb}"
GCS_BUCKET="${GCS_BUCKET:-}"
GCS_PREFIX="${GCS_PREFIX:-sql-codegen-slm}"
DRY_RUN=0

# The variables every script reads, for --help (printed with the values they have now).
env_help() {
  cat <<EOF
Environment (current value in brackets):
  GCP_PROJECT_ID   GCP project                                   [${GCP_PROJECT_ID:-unset: required}]
  GCP_ZONE         zone of the VM                                [$GCP_ZONE]
  GCP_INSTANCE     VM name                                       [$GCP_INSTANCE]
EOF
}

die() { echo "ERROR: $*" >&2; exit 2; }

# `run CMD...`: with --dry-run print the command, shell-quoted so it can be pasted; else print it and run it.
run() {
  local a line=""
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then line+="$a "; else line+="'${a//\'/\'\\\'\'}' "; fi
  done
  if [[ $DRY_RUN == 1 ]]; then echo "${line% }"; return 0; fi
  echo "+ ${line% }" >&2
  "$@"
}

require_project() {
  [[ -n "$GCP_PROJECT_ID" ]] || die "GCP_PROJECT_ID is not set: export GCP_PROJECT_ID=my-project" \
    "(gcloud projects list shows yours)"
}
require_bucket() {
  [[ -n "$GCS_BUCKET" ]] || die "GCS_BUCKET is not set: export GCS_BUCKET=my-bucket (a bucket name, no gs://;" \
    "create it with: gcloud storage buckets create gs://my-bucket --location=us-central1)"
  [[ "$GCS_BUCKET" != gs://* && "$GCS_BUCKET" != */* ]] \
    || die "GCS_BUCKET=$GCS_BUCKET: give the bucket name only (e.g. my-bucket), not a URL or path;" \
      "the folder is GCS_PREFIX"
}
# gcloud is only needed when something really runs; a dry run works without it.
require_gcloud() {
  [[ $DRY_RUN == 1 ]] || command -v gcloud >/dev/null 2>&1 || die "gcloud not found: install the Google Cloud CLI" \
    "(https://cloud.google.com/sdk/docs/install), run gcloud auth login, or use --dry-run to see the commands"
}

# GPU name -> machine type. A2 and G2 are accelerator-optimized: the GPU comes with the machine type (no --accelerator).
machine_type() {
  case "$1" in
    a100-40gb) echo a2-highgpu-1g ;;   # 1x A100 40GB, 12 vCPU, 85 GB
    a100-80gb) echo a2-ultragpu-1g ;;  # 1x A100 80GB, 12 vCPU, 170 GB
    l4)        echo g2-standard-8 ;;   # 1x L4 24GB, 8 vCPU, 32 GB (g2-standard-4's 16 GB: too little to load a 7B)
    *) return 1 ;;
  esac
}
# shellcheck disable=SC2034  # used by the scripts that source this file
GPU_CHOICES="a100-40gb, a100-80gb, l4"
