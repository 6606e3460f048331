#!/usr/bin/env bash
# Usage: scripts/ci/terraform-validate.sh [<stacks-dir>]   (default cdktf.out/stacks)
#
# `terraform init -backend=false` then `terraform validate` in every synthesized stack, with no
# credentials and no state. Fails on an invalid stack and on any warning (a deprecated attribute
# warns in every validate long before a provider removes it). The pull-request workflow runs it
# before any plan.
set -euo pipefail
dir="${1:-cdktf.out/stacks}"
status=0
shopt -s nullglob
stacks=("$dir"/*/)
if ((${#stacks[@]} == 0)); then
  echo "terraform-validate: no synthesized stack under $dir" >&2
  exit 1
fi
for stack in "${stacks[@]}"; do
  name="$(basename "$stack")"
  echo "--- terraform validate $name"
  terraform -chdir="$stack" init -backend=false -input=false -no-color >/dev/null
  out="$(terraform -chdir="$stack" validate -json -no-color)" || true
  valid="$(jq -r .valid <<<"$out")"
  warnings="$(jq -r .warning_count <<<"$out")"
  jq -r '.diagnostics[] | "\(.severity): \(.summary) \(.address // "") \(.detail // "")"' <<<"$out"
  if [[ "$valid" != true || "$warnings" != 0 ]]; then
    echo "::error::$name: valid=$valid, $warnings warning(s): warnings count as failures"
    status=1
  fi
done
exit "$status"
