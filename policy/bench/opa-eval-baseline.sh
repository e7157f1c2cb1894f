#!/bin/sh
# opa-eval-baseline.sh: the release gate of BenchmarkEvaluateReleaseGate,
# run the way conftest users run policies: one `opa eval` process per
# control, each reading the policies, the data and the same input from
# files. It builds the OPA CLI v1.22.4, runs our benchmark and the baseline
# in the same run, and prints both and their ratio.
#
# Usage (from the repository root): sh policy/bench/opa-eval-baseline.sh [rounds]
set -eu

rounds=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building the OPA CLI v1.22.4 ..." >&2
GOBIN="$work/bin" go install github.com/open-policy-agent/opa@v1.22.4
opa="$work/bin/opa"
"$opa" version | head -1 >&2

echo "writing the gate (input, data, policies) ..." >&2
go test ./policy -run '^TestBaselineGate$' -count=1 -args -baseline-dir="$work/gate" >/dev/null

echo "running BenchmarkEvaluateReleaseGate ..." >&2
ours=$(go test ./policy -run '^$' -bench '^BenchmarkEvaluateReleaseGate$' -benchtime=300x -count=1 |
	awk '/^BenchmarkEvaluateReleaseGate/ { for (i = 1; i < NF; i++) if ($(i+1) == "p50-ns/op") print $i }')

# One round: one opa eval process per control, each asking for that
# control's deny and warn findings. Prints the round's wall time in ns.
round() {
	start=$(date +%s%N)
	while IFS="	" read -r control pkg; do
		out=$("$opa" eval --format=raw \
			-d "$work/gate/policy" -d "$work/gate/data.json" -i "$work/gate/input.json" \
			"[v | some v in ${pkg}.deny; v.control == \"${control}\"]") || {
			echo "opa eval failed for $control" >&2
			exit 1
		}
		[ "$out" = "[]" ] || {
			echo "opa eval found violations of $control, the gate should pass: $out" >&2
			exit 1
		}
	done <"$work/gate/controls.tsv"
	end=$(date +%s%N)
	echo $((end - start))
}

echo "running $rounds rounds of $(wc -l <"$work/gate/controls.tsv") opa eval processes ..." >&2
times=""
i=0
while [ "$i" -lt "$rounds" ]; do
	times="$times $(round)"
	i=$((i + 1))
done
baseline=$(echo $times | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')

awk -v ours="$ours" -v base="$baseline" -v n="$(wc -l <"$work/gate/controls.tsv")" 'BEGIN {
	printf "paved Engine.Evaluate (all %d controls, one process): p50 %.2f ms\n", n, ours / 1e6
	printf "opa eval, one process per control (%d processes):     p50 %.1f ms\n", n, base / 1e6
	printf "ratio (opa eval / paved): %.0fx\n", base / ours
}'
