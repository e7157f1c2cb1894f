#!/usr/bin/env bash
# Runs BenchmarkComputeYear beside its baseline, the same year as Four Keys
# style SQL on PostgreSQL 15, in one go on one core, and BenchmarkStream.
# It starts a throwaway PostgreSQL (as the postgres user, on 127.0.0.1 and a
# free port, in a temporary directory) unless PAVED_POSTGRES_URL is set, and
# stops it at exit. Run it as root from anywhere:
#
#	metrics/bench.sh                       # the issue's size: 10M changes
#	metrics/bench.sh -metrics.changes=1000000 -metrics.deployments=100000 -metrics.incidents=5000
#
# Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

pgbin=/usr/lib/postgresql/15/bin
pgdir=
cleanup() {
	if [ -n "$pgdir" ] && [ -f "$pgdir/data/postmaster.pid" ]; then
		(cd "$pgdir" && runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null) || true
	fi
	[ -z "$pgdir" ] || rm -rf "$pgdir"
}
trap cleanup EXIT

if [ -z "${PAVED_POSTGRES_URL:-}" ]; then
	pgdir=$(mktemp -d /tmp/paved-bench-pg.XXXXXX)
	chown postgres "$pgdir"
	install -d -o postgres -m 700 "$pgdir/data"
	(cd "$pgdir" && runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres >"$pgdir/initdb.log" 2>&1)
	for _ in $(seq 1 20); do
		port=$((20000 + RANDOM % 20000))
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			continue
		fi
		if (cd "$pgdir" && runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir/data -c shared_buffers=1GB -c max_wal_size=8GB -c synchronous_commit=off" \
			-w start >/dev/null); then
			export PAVED_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			break
		fi
	done
	[ -n "${PAVED_POSTGRES_URL:-}" ] || { cat "$pgdir/server.log" >&2; echo "could not start PostgreSQL" >&2; exit 1; }
fi

GOMAXPROCS=1 go test ./metrics -run '^$' -bench '^Benchmark(ComputeYear|ComputeYearPostgres|Stream)$' -cpu 1 -benchtime 1x -timeout 2h "$@"
