#!/usr/bin/env bash
# Builds actionlint (the GitHub workflow linter) from the Go module proxy into .tools/bin
# (git-ignored), once per version. __tests__/ci/workflows.test.ts runs it over .github/workflows/.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
bin=.tools/bin/actionlint
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | head -1 | grep -qx "$version"; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "install-actionlint: no Go toolchain: the workflow lint test will be skipped" >&2
  exit 0
fi
echo "--- building actionlint $version into .tools/bin"
GOBIN="$PWD/.tools/bin" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
