#!/usr/bin/env bash
# npm run scan: synthesize every stage, run Checkov over each stack's cdk.tf.json, and fail unless
# every stack was read (resources checked > 0) and every failed check is fixed or skipped on its
# resource with a reason (lib/policy/checkov.ts). Installs the pinned Checkov into a virtualenv if needed.
#
#   CHECKOV_VENV=<dir>   virtualenv to use or create (default .venv-checkov, git-ignored)
#   STAGES=dev           scan only some stages (as for synth)
#   SCAN_SKIP_SYNTH=1    scan the existing cdktf.out/ (the workflow synthesizes in an earlier step)
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1

venv="${CHECKOV_VENV:-.venv-checkov}"
requirements=scripts/scan/requirements.txt
pinned="$(sed -n 's/^checkov==\([0-9.]*\).*/\1/p' "$requirements")"
if [[ "$("$venv/bin/checkov" --version 2>/dev/null || true)" != "$pinned" ]]; then
  echo "--- installing checkov $pinned into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
fi

out=cdktf.out
if [[ "${SCAN_SKIP_SYNTH:-}" != 1 ]]; then
  echo "--- cdktf synth"
  rm -rf "$out/stacks"
  mkdir -p "$out"
  log="$(mktemp)"
  if ! npx cdktf synth --output "$out" >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
fi

reports="$out/checkov"
rm -rf "$reports" && mkdir -p "$reports"
# BC_SKIP_MAPPING: no download of the platform's check mappings (no account, no network needed).
export BC_SKIP_MAPPING=TRUE LOG_LEVEL=WARNING
for file in "$out"/stacks/*/cdk.tf.json; do
  stack="$(basename "$(dirname "$file")")"
  echo "--- checkov $pinned: $stack"
  # The terraform_json framework parses CDKTF's cdk.tf.json (the terraform one reads only .tf).
  # Exit 1 means failed checks, which report.ts judges; anything else is a crash.
  rc=0
  "$venv/bin/checkov" --file "$file" --framework terraform_json --output json --compact \
    --skip-download >"$reports/$stack.json" 2>"$reports/$stack.log" || rc=$?
  if [[ $rc -gt 1 ]]; then
    cat "$reports/$stack.log" >&2
    echo "scan: checkov crashed on $stack (exit $rc)" >&2
    exit 1
  fi
done

npx ts-node --transpile-only scripts/scan/report.ts "$out/stacks" "$reports"
