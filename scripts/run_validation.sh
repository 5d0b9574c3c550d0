#!/usr/bin/env bash
# Run the validation suite (the smoke protocol: checks, a real SIGKILL + resume, inference) and print a verdict.
# Exit 0 when every check passed, 1 otherwise.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run_validation.sh [--output_dir DIR] [--config NAME|YAML] [--remote_dir URL] [--set KEY=VALUE]...

Runs `sql-codegen-smoke` (the smoke protocol) and summarises its report.json:
  - detects Colab and the GPU (without CUDA the embedded tiny model runs on the CPU, ~1-3 min);
  - trains 20 steps in a child process, SIGKILLs it after checkpoint 10 is complete on the remote,
    resumes on an empty disk, compares losses with an uninterrupted run, generates SQL;
  - prints the verdict and every failed check with its advice.

Options (all but --output_dir are passed to sql-codegen-smoke unchanged):
  --output_dir DIR     where the run and report.json/report.md go (default: runs/validation)
  --config NAME|YAML   preset (smoke, full) or YAML file (default: smoke)
  --remote_dir URL     mirror checkpoints here, e.g. gs://my-bucket/smoke (default: a local directory)
  --set KEY=VALUE      config override, repeatable, e.g. --set model.name=mistralai/Mistral-7B-v0.1
  -h, --help           this help

Exit status: 0 all checks passed, 1 a check failed (or the suite could not run).
USAGE
}

OUT="runs/validation"
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --output_dir) [[ $# -ge 2 ]] || { echo "--output_dir needs a value" >&2; exit 1; }; OUT="$2"; shift 2 ;;
    --output_dir=*) OUT="${1#*=}"; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

PY="${PYTHON:-$(command -v python || command -v python3)}"

# --- environment -----------------------------------------------------------------------------------------------
if [[ -n "${COLAB_RELEASE_TAG:-}" || -d /content ]]; then echo "environment: Google Colab"; else echo "environment: not Colab ($(uname -sm))"; fi
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "nvidia-smi: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo 'present, no GPU listed')"
else
  echo "nvidia-smi: not found"
fi
"$PY" - <<'PYEOF'
import torch
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"torch {torch.__version__}: CUDA GPU {p.name}, {p.total_memory / 2**30:.1f} GiB")
else:
    print(f"torch {torch.__version__}: no CUDA GPU -> the suite runs on the CPU with the embedded tiny model "
          "(4-bit quantization is reported as skipped, never passed)")
PYEOF

# --- run the suite -----------------------------------------------------------------------------------------------
mkdir -p "$OUT"
rm -f "$OUT/report.json" "$OUT/report.md"  # a stale report must not be read as this run's verdict
LOG="$OUT/validation.log"
if command -v sql-codegen-smoke >/dev/null 2>&1; then SMOKE=(sql-codegen-smoke); else SMOKE=("$PY" -m sql_codegen_slm.smoke); fi
echo "running: ${SMOKE[*]} --output_dir $OUT ${ARGS[*]:-}  (log: $LOG)"
T0=$(date +%s)
RC=0
"${SMOKE[@]}" --output_dir "$OUT" ${ARGS[@]+"${ARGS[@]}"} >"$LOG" 2>&1 || RC=$?
ELAPSED=$(( $(date +%s) - T0 ))

# --- summary -----------------------------------------------------------------------------------------------------
if [[ ! -f "$OUT/report.json" ]]; then
  echo
  echo "VALIDATION FAILED: no report was written (sql-codegen-smoke exited with $RC after ${ELAPSED}s). Last lines of $LOG:"
  tail -n 25 "$LOG" | sed 's/^/  | /'
  exit 1
fi
VERDICT=0
"$PY" - "$OUT/report.json" "$RC" "$ELAPSED" <<'PYEOF' || VERDICT=$?
import json, sys
path, rc, elapsed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = json.load(open(path))
n = d["counts"]
ok = d["passed"] and rc == 0
print()
print(f"VALIDATION {'PASSED' if ok else 'FAILED'}: {n['passed']} passed, {n['failed']} failed, {n['skipped']} skipped "
      f"in {elapsed} s (model {d['model']}, device {d['device']})")
if d.get("failure_point"): print(f"failure point: {d['failure_point']}")
for c in d["checks"]:
    if c["status"] == "failed":
        print(f"  FAILED  {c['name']}: {c['message'].splitlines()[0] if c['message'] else ''}")
        if c.get("advice"): print(f"          what to do: {c['advice'].splitlines()[0]}")
    elif c["status"] == "skipped":
        print(f"  skipped {c['name']}: {c['message']}")
r = next((c for c in d["checks"] if c["name"] == "resume"), None)
if r and r["figures"]:
    f = r["figures"]
    print(f"resume: killed at step {f.get('killed_at_step')}, resumed from {f.get('resumed_from')}, max loss diff {f.get('max_loss_diff')}")
if d.get("estimate"): print(d["estimate"])
print(f"report: {path[:-5]}.md")
sys.exit(0 if ok else 1)
PYEOF
exit "$VERDICT"
