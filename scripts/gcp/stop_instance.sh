#!/usr/bin/env bash
# Stop (or delete) the training VM. A stopped VM costs only its disk; its checkpoints are in the bucket either way.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/gcp/common.sh
source "$HERE/common.sh"

usage() {
  cat <<USAGE
Usage: scripts/gcp/stop_instance.sh [--delete] [--dry-run]

Stops \$GCP_INSTANCE: GPU and vCPUs are no longer billed, the boot disk is (pd-balanced, per GB-month) and keeps the
venv and local checkpoints. Start it again with gcloud compute instances start: the startup script resumes training
from the last checkpoint (or, if the run wrote DONE, stops right away). The VM also stops itself when training ends.

Options:
  --delete        delete the VM and its boot disk instead (the bucket keeps data, checkpoints and the final adapter)
  --dry-run       print the gcloud command, stop nothing (gcloud is not needed)
  -h, --help      this help

$(env_help)
USAGE
}

DELETE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --delete) DELETE=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
require_project
require_gcloud
if [[ $DELETE == 1 ]]; then
  run gcloud compute instances delete "$GCP_INSTANCE" --project="$GCP_PROJECT_ID" --zone="$GCP_ZONE" --quiet
else
  run gcloud compute instances stop "$GCP_INSTANCE" --project="$GCP_PROJECT_ID" --zone="$GCP_ZONE"
fi
