#!/bin/sh
# image-test.sh builds the container image from the Dockerfile and runs it
# as an operator would: the companion for the example course, on the host's
# loopback, with its database in a volume. It checks the health endpoints,
# WebFinger and a backup taken inside the running container, then stops it.
#
#   deploy/image-test.sh                     build with podman (ENGINE=docker for docker)
#   IMAGE=cohort:0.1.0 deploy/image-test.sh  test an image built already
#   RUN_FLAGS="--ulimit nofile=1024:1024"    extra flags for `run`, where the engine needs them
set -eu

cd "$(dirname "$0")/.."
engine=${ENGINE:-podman}
image=${IMAGE:-}
port=${PORT:-18090}
name=cohort-image-test-$$

if [ -z "$image" ]; then
	image=cohort:image-test
	"$engine" build -t "$image" --build-arg VERSION=image-test .
fi

data=$(mktemp -d)
chmod 0777 "$data" # the image runs as an unprivileged user
cleanup() {
	"$engine" rm -f "$name" >/dev/null 2>&1 || true
	rm -rf "$data"
}
trap cleanup EXIT

# shellcheck disable=SC2086 # RUN_FLAGS is a list of flags
"$engine" run -d --name "$name" ${RUN_FLAGS:-} --network host \
	-v "$PWD":/course:ro -v "$data":/data "$image" \
	companion --source /course --data /data --addr "127.0.0.1:$port" --log-format json >/dev/null

get() { # get PATH: the body, or nothing when the request fails
	if command -v curl >/dev/null 2>&1; then
		curl -fsS "http://127.0.0.1:$port$1" 2>/dev/null || true
	else
		wget -q -O - "http://127.0.0.1:$port$1" 2>/dev/null || true
	fi
}

i=0
until [ "$(get /healthz)" = "ok" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "image-test: /healthz did not answer within 20 s" >&2
		"$engine" logs "$name" >&2
		exit 1
	fi
	sleep 0.2
done
echo "ok: /healthz"
[ "$(get /readyz)" = "ready" ] || { echo "image-test: /readyz is not ready" >&2; exit 1; }
echo "ok: /readyz"
get "/.well-known/webfinger?resource=acct:course@course.example.org" | grep -q '"subject":"acct:course@course.example.org"' ||
	{ echo "image-test: WebFinger does not answer for the course" >&2; exit 1; }
echo "ok: WebFinger"
"$engine" exec "$name" cohort backup --source /course --data /data --to /data/backup.db
[ -s "$data/backup.db" ] || { echo "image-test: no backup written" >&2; exit 1; }
echo "ok: backup while running"
"$engine" stop -t 10 "$name" >/dev/null
"$engine" logs "$name" 2>&1 | grep -q '"msg":"companion started"' ||
	{ echo "image-test: no JSON start line in the log" >&2; exit 1; }
echo "ok: JSON log"
echo "image-test: $image passed"
