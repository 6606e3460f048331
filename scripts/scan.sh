#!/usr/bin/env bash
# npm run scan: synthesize every stack, then
# - Checkov over each stack's cdk.tf.json: fail unless every stack was read (resources checked > 0)
#   and every failed check is fixed or skipped on its resource with a reason (lib/policy/checkov.ts);
# - the IAM checkers parliament and cloudsplaining over every IAM policy of every stack (Terraform
#   references replaced with placeholder ARNs): fail on a finding without a written reason
#   (scripts/scan/iam-evaluate.ts), or if they miss the escalation canary.
# Installs the pinned tools into virtualenvs if needed.
#
#   CHECKOV_VENV=<dir>   Checkov's virtualenv (default .venv-checkov, git-ignored)
#   IAM_VENV=<dir>       parliament's and cloudsplaining's (default .venv-iam, git-ignored)
#   STAGES=dev           scan only some stages (as for synth; the bootstrap stacks need all stages)
#   SCAN_SKIP_SYNTH=1    scan the existing cdktf.out/ (the workflow synthesizes in an earlier step)
#   SCAN_INSTALL_ONLY=1  install the tools and stop (.ci/run, so the IAM checker test runs in npm test)
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

iam_venv="${IAM_VENV:-.venv-iam}"
iam_requirements=scripts/scan/iam-requirements.txt
if ! cmp -s "$iam_requirements" "$iam_venv/installed-requirements.txt"; then
  echo "--- installing $(grep -v '^#' "$iam_requirements" | xargs) into $iam_venv"
  python3 -m venv "$iam_venv"
  "$iam_venv/bin/pip" install --quiet --disable-pip-version-check -r "$iam_requirements"
  cp "$iam_requirements" "$iam_venv/installed-requirements.txt"
fi
[[ "${SCAN_INSTALL_ONLY:-}" == 1 ]] && exit 0

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
  # Checkov 3.3's terraform_json parser rejects a stack with `moved` (or `import`) blocks and then
  # reads nothing; they address resources rather than declare them, so Checkov gets the stack
  # without them.
  input="$reports/input/$stack/cdk.tf.json"
  mkdir -p "$(dirname "$input")"
  node -e 'const fs = require("fs"); const j = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    delete j.moved; delete j.import; fs.writeFileSync(process.argv[2], JSON.stringify(j));' "$file" "$input"
  "$venv/bin/checkov" --file "$input" --framework terraform_json --output json --compact \
    --skip-download >"$reports/$stack.json" 2>"$reports/$stack.log" || rc=$?
  if [[ $rc -gt 1 ]]; then
    cat "$reports/$stack.log" >&2
    echo "scan: checkov crashed on $stack (exit $rc)" >&2
    exit 1
  fi
done

status=0
npx ts-node --transpile-only scripts/scan/report.ts "$out/stacks" "$reports" || status=1

policies="$out/iam/policies"
npx ts-node --transpile-only scripts/scan/iam-report.ts extract "$out/stacks" "$policies"
echo "--- parliament and cloudsplaining over $policies"
"$iam_venv/bin/python" scripts/scan/iam_check.py "$policies" "$out/iam/report.json"
npx ts-node --transpile-only scripts/scan/iam-report.ts judge "$out/iam/report.json" || status=1
exit "$status"
