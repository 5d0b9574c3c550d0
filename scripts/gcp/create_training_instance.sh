#!/usr/bin/env bash
# Create the GPU VM that trains: one GPU (A100 40GB by default), a Deep Learning VM image with the NVIDIA driver, and
# scripts/gcp/startup_train.sh as its startup script, which trains from the bucket on every boot until done.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/gcp/common.sh
source "$HERE/common.sh"

GCP_IMAGE_FAMILY="${GCP_IMAGE_FAMILY:-common-cu128-ubuntu-2204-nvidia-570}"
GCP_IMAGE_PROJECT="${GCP_IMAGE_PROJECT:-deeplearning-platform-release}"
GCP_DISK_GB="${GCP_DISK_GB:-200}"
GCP_SCOPES="${GCP_SCOPES:-cloud-platform}"
TRAIN_CONFIG="${TRAIN_CONFIG:-full}"
TRAIN_ARGS="${TRAIN_ARGS:-}"
HF_TOKEN_SECRET="${HF_TOKEN_SECRET:-}"

usage() {
  cat <<USAGE
Usage: scripts/gcp/create_training_instance.sh [--spot] [--interactive] [--dry-run]

Creates VM \$GCP_INSTANCE with one GPU and a startup script (scripts/gcp/startup_train.sh) that, on every boot:
installs the project (first boot), pulls the data from gs://, runs
  sql-codegen-train --config \$TRAIN_CONFIG --remote_dir \$GCS_RUN_URL --resume_from_checkpoint latest \$TRAIN_ARGS
and, once training finishes, writes \$GCS_RUN_URL/DONE and stops the VM. A boot that finds DONE stops at once.
Run scripts/gcp/sync_data_to_gcp.sh first: it puts the data and the code where the VM looks for them.

Options:
  --spot          a Spot VM (--provisioning-model=SPOT --instance-termination-action=STOP): 60-91% cheaper, can be
                  preempted at any time; it is stopped, not deleted, so start it again
                  (gcloud compute instances start) and it resumes from the last checkpoint in the bucket
  --interactive   no startup script: a plain GPU VM to connect to (connect_to_instance.sh) and train by hand
  --dry-run       print the gcloud commands, run nothing (gcloud is not needed)
  -h, --help      this help

$(env_help)
  GCP_GPU          a100-40gb (a2-highgpu-1g), a100-80gb (a2-ultragpu-1g), l4 (g2-standard-8)   [$GCP_GPU]
  GCS_BUCKET       bucket name for data, code, checkpoints           [${GCS_BUCKET:-unset: required}]
  GCS_PREFIX       folder in the bucket                              [$GCS_PREFIX]
  GCS_RUN_URL      checkpoints, final adapter, DONE marker           [${GCS_RUN_URL:-gs://BUCKET/PREFIX/RUN}]
                   (RUN = the config's name, so the full preset writes where its logging.remote_dir points)
  GCS_DATA_URL     train.jsonl/val.jsonl to train on ('' = config's)  [${GCS_DATA_URL:-gs://BUCKET/PREFIX/data}]
  PACKAGE_SPEC     what the VM pip-installs: a gs:// tarball of the repo or a pip spec
                   [${PACKAGE_SPEC:-gs://BUCKET/PREFIX/code/sql-codegen-slm.tar.gz}]
  TRAIN_CONFIG     preset name or YAML path inside the repo          [$TRAIN_CONFIG]
  TRAIN_ARGS       more sql-codegen-train arguments, split on spaces [$TRAIN_ARGS]
  HF_TOKEN_SECRET  Secret Manager secret holding a Hugging Face token, for gated models (optional) [$HF_TOKEN_SECRET]
  GCP_IMAGE_FAMILY image family (Deep Learning VM, driver included)  [$GCP_IMAGE_FAMILY]
  GCP_IMAGE_PROJECT                                                  [$GCP_IMAGE_PROJECT]
  GCP_DISK_GB      boot disk size in GB                              [$GCP_DISK_GB]
  GCP_SCOPES       VM service-account scopes                         [$GCP_SCOPES]

Follow the startup script's log on the VM: scripts/gcp/connect_to_instance.sh, then
  sudo journalctl -u google-startup-scripts -f
USAGE
}

SPOT=0; INTERACTIVE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --spot) SPOT=1; shift ;;
    --interactive) INTERACTIVE=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

require_project
require_bucket
require_gcloud
MACHINE=$(machine_type "$GCP_GPU") || die "GCP_GPU=$GCP_GPU: unknown GPU; choose one of $GPU_CHOICES"
[[ "$GCP_DISK_GB" =~ ^[0-9]+$ ]] || die "GCP_DISK_GB=$GCP_DISK_GB: expected a number of GB, e.g. 200"
RUN_NAME="$(basename "$TRAIN_CONFIG")"; RUN_NAME="${RUN_NAME%.yaml}"; RUN_NAME="${RUN_NAME%.yml}"
GCS_RUN_URL="${GCS_RUN_URL:-gs://$GCS_BUCKET/$GCS_PREFIX/$RUN_NAME}"
GCS_DATA_URL="${GCS_DATA_URL-gs://$GCS_BUCKET/$GCS_PREFIX/data}"
PACKAGE_SPEC="${PACKAGE_SPEC:-gs://$GCS_BUCKET/$GCS_PREFIX/code/sql-codegen-slm.tar.gz}"

CMD=(gcloud compute instances create "$GCP_INSTANCE" --project="$GCP_PROJECT_ID" --zone="$GCP_ZONE"
     --machine-type="$MACHINE" --image-family="$GCP_IMAGE_FAMILY" --image-project="$GCP_IMAGE_PROJECT"
     --boot-disk-size="${GCP_DISK_GB}GB" --boot-disk-type=pd-balanced --scopes="$GCP_SCOPES")
# GPU VMs cannot live-migrate: on host maintenance they stop (a Spot VM gets this implicitly and refuses the flag).
if [[ $SPOT == 1 ]]; then CMD+=(--provisioning-model=SPOT --instance-termination-action=STOP)
else CMD+=(--maintenance-policy=TERMINATE); fi

META=("install-nvidia-driver=True")
if [[ $INTERACTIVE == 0 ]]; then
  META+=("run-url=$GCS_RUN_URL" "data-url=$GCS_DATA_URL" "package-spec=$PACKAGE_SPEC" "train-config=$TRAIN_CONFIG"
         "train-args=$TRAIN_ARGS" "hf-token-secret=$HF_TOKEN_SECRET")
  CMD+=(--metadata-from-file="startup-script=$HERE/startup_train.sh")
fi
# '^@^' makes '@' the separator between metadata entries (gcloud topic escaping), so values may hold commas.
for m in "${META[@]}"; do [[ "$m" != *@* ]] || die "metadata value '$m' contains '@', the separator used here"; done
CMD+=("--metadata=^@^$(IFS=@; echo "${META[*]}")")

if [[ $INTERACTIVE == 0 ]]; then
  # the VM needs the code and (unless GCS_DATA_URL='') the data: fail here rather than on the VM
  for url in ${PACKAGE_SPEC:+"$PACKAGE_SPEC"} ${GCS_DATA_URL:+"$GCS_DATA_URL/train.jsonl"}; do
    [[ "$url" == gs://* ]] || continue
    if [[ $DRY_RUN == 1 ]]; then run gcloud storage ls "$url"; continue; fi
    gcloud storage ls "$url" >/dev/null || die "$url not found: run scripts/gcp/sync_data_to_gcp.sh first"
  done
fi
run "${CMD[@]}"
if [[ $DRY_RUN == 0 ]]; then
  echo
  echo "created $GCP_INSTANCE ($MACHINE, $GCP_GPU$([[ $SPOT == 1 ]] && echo ', spot')) in $GCP_ZONE."
  [[ $INTERACTIVE == 0 ]] && echo "It trains on boot and stops itself when $GCS_RUN_URL/DONE is written." \
    "Check: gcloud storage ls $GCS_RUN_URL/"
  [[ $SPOT == 1 ]] && echo "After a preemption:" \
    "gcloud compute instances start $GCP_INSTANCE --zone=$GCP_ZONE --project=$GCP_PROJECT_ID"
  echo "Connect: scripts/gcp/connect_to_instance.sh; stop: scripts/gcp/stop_instance.sh"
fi
