#!/usr/bin/env bash
# SSH into the training VM with TensorBoard (6006) and Jupyter (8888) forwarded to this machine's localhost.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/gcp/common.sh
source "$HERE/common.sh"

TB_PORT="${TB_PORT:-6006}"
JUPYTER_PORT="${JUPYTER_PORT:-8888}"
GCP_SSH_IAP="${GCP_SSH_IAP:-0}"

usage() {
  cat <<USAGE
Usage: scripts/gcp/connect_to_instance.sh [--dry-run] [-- REMOTE COMMAND...]

Opens an SSH session on \$GCP_INSTANCE that forwards
  localhost:\$TB_PORT      -> the VM's TensorBoard (the startup script serves it on the VM's localhost:6006)
  localhost:\$JUPYTER_PORT -> a Jupyter you start there: jupyter lab --no-browser --port 8888
On the VM: sudo journalctl -u google-startup-scripts -f   follows the training; the run lives in
/var/lib/sql-codegen-slm (venv, run/, logs/).

Options:
  --dry-run       print the gcloud command, connect to nothing (gcloud is not needed)
  -h, --help      this help
  -- CMD...       run CMD on the VM instead of an interactive shell

$(env_help)
  TB_PORT          local port for TensorBoard                       [$TB_PORT]
  JUPYTER_PORT     local port for Jupyter                           [$JUPYTER_PORT]
  GCP_SSH_IAP      1 = tunnel through IAP (a VM without external IP) [$GCP_SSH_IAP]
USAGE
}

REMOTE=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --) shift; REMOTE=("$@"); break ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
require_project
require_gcloud
for p in "$TB_PORT" "$JUPYTER_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] || die "port '$p' is not a number (TB_PORT, JUPYTER_PORT)"
done

CMD=(gcloud compute ssh "$GCP_INSTANCE" --project="$GCP_PROJECT_ID" --zone="$GCP_ZONE")
[[ $GCP_SSH_IAP == 1 ]] && CMD+=(--tunnel-through-iap)
[[ ${#REMOTE[@]} -gt 0 ]] && CMD+=(--command="${REMOTE[*]}")
CMD+=(-- -L "$TB_PORT:localhost:6006" -L "$JUPYTER_PORT:localhost:8888")
[[ $DRY_RUN == 1 ]] || echo "TensorBoard: http://localhost:$TB_PORT" \
  "  Jupyter: http://localhost:$JUPYTER_PORT (once started on the VM)" >&2
run "${CMD[@]}"
