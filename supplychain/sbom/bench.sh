#!/bin/sh
# Runs the sbom benchmarks beside the baseline, cyclonedx-gomod v1.10.0,
# installed into a temporary GOBIN (it is not a dependency of paved). The
# benchmark fails if both tools do not list the same components.
#
#   ./bench.sh [go test flags, such as -benchtime=10x]
set -eu
cd "$(dirname "$0")"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin GOFLAGS= go install github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
PAVED_CYCLONEDX_GOMOD=$bin/cyclonedx-gomod go test -run '^$' -bench . -benchmem "$@" .
