#!/usr/bin/env bash
# Usage: scripts/ci/remote-state-config.sh <out-dir>
#
# Copies config/ to <out-dir> and points every stage that keeps a local Terraform backend (dev) at
# the state bucket, so CI plans and deploys see the real state instead of an empty file on a
# throwaway runner. Stages that already name a remote backend (prod) are copied unchanged. The
# copy is validated by the same schema when the app reads it (KONG_GATEWAY_CONFIG_DIR=<out-dir>).
#
#   TF_STATE_BUCKET      the state bucket (docs/runbooks/bootstrap-state.md)   required
#   TF_STATE_REGION      its region                                            required
#   TF_STATE_KMS_KEY_ID  KMS key ARN that encrypts the state objects           optional
set -euo pipefail
out="${1:?usage: $0 <out-dir>}"
: "${TF_STATE_BUCKET:?set TF_STATE_BUCKET (repository variable)}"
: "${TF_STATE_REGION:?set TF_STATE_REGION (repository variable)}"
cd "$(dirname "$0")/../.."

mkdir -p "$out"
cp config/*.json "$out/"
for file in "$out"/*.json; do
  stage="$(basename "$file" .json)"
  [[ "$stage" == schema || "$stage" == bootstrap ]] && continue # not stages
  [[ "$(jq -r '.backend.type' "$file")" == local ]] || continue
  jq --arg bucket "$TF_STATE_BUCKET" --arg region "$TF_STATE_REGION" \
    --arg key "kong-gateway/$stage.tfstate" --arg kms "${TF_STATE_KMS_KEY_ID:-}" \
    '.backend = ({type: "s3", bucket: $bucket, key: $key, region: $region}
                 + (if $kms == "" then {} else {kmsKeyId: $kms} end))' \
    "$file" >"$file.tmp"
  mv "$file.tmp" "$file"
  echo "$stage: state in s3://$TF_STATE_BUCKET/kong-gateway/$stage.tfstate"
done
