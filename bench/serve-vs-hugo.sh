#!/usr/bin/env bash
# serve-vs-hugo.sh: compare save-to-reload latency of `cohort serve` and `hugo server`
# on the same generated course.
#
# Run by hand (not part of the test suite). Both servers run side by side on the
# same generated course; edits alternate between them. The report explains its columns.
#
#   bench/serve-vs-hugo.sh [-n LESSONS[,LESSONS...]] [-r EDITS] [-k]
#
#   -n LESSONS  course sizes, comma-separated (default 1000,10000); modules are
#               LESSONS/100, at least 20
#   -r EDITS    lesson edits per tool and size (default 9)
#   -k          keep the temporary folder (courses, logs) and print its path
#
# Environment: SHARED_BENCH overrides the location of shared/bench (gencourse);
# TMPDIR chooses where the temporary folder goes.
set -euo pipefail

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

SIZES=1000,10000
EDITS=9
KEEP=0
while getopts ':n:r:kh' opt; do
	case $opt in
	n) SIZES=$OPTARG ;;
	r) EDITS=$OPTARG ;;
	k) KEEP=1 ;;
	h) usage; exit 0 ;;
	:) echo "serve-vs-hugo: -$OPTARG needs a value" >&2; usage >&2; exit 2 ;;
	*) echo "serve-vs-hugo: unknown option -$OPTARG" >&2; usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($# > 0)); then
	echo "serve-vs-hugo: unexpected argument: $1" >&2; usage >&2; exit 2
fi
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
for v in "${SIZE_LIST[@]}" "$EDITS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "serve-vs-hugo: '$v' is not a positive integer" >&2; exit 2; }
done

log() { printf '[serve-vs-hugo] %s\n' "$*" >&2; }
die() { printf 'serve-vs-hugo: %s\n' "$*" >&2; exit 1; }

# --- locate the repository and shared/bench from this script's own path -------------
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
[[ -f $REPO/go.mod && -d $REPO/cmd/cohort ]] || die "cannot find the cohort repository at $REPO"
SHARED_BENCH=${SHARED_BENCH:-$REPO/../shared/bench}
[[ -d $SHARED_BENCH/gencourse ]] || die "cannot find gencourse in $SHARED_BENCH (set SHARED_BENCH=/path/to/shared/bench)"
SHARED_BENCH=$(cd -- "$SHARED_BENCH" && pwd -P)
command -v go >/dev/null || die "go is not on PATH"
HUGO=${HUGO:-$(command -v hugo)} || die "hugo is missing; install it first, e.g. 'sudo apt-get install -y hugo', or name one in HUGO="
[[ -n ${EPOCHREALTIME:-} ]] || die "bash 5 or later is needed (for \$EPOCHREALTIME)"

# --- temporary folder and the processes this script starts -----------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/serve-vs-hugo.XXXXXX")
LOGS=$TMP/logs
mkdir -p "$LOGS"
export HUGO_CACHEDIR=$TMP/hugo-cache
PIDS=() # every process started in the background, stopped by pid
stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}
cleanup() {
	stop_all
	if ((KEEP)); then
		log "kept $TMP"
	else
		rm -rf -- "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building cohort from $REPO"
(cd "$REPO" && go build -o "$TMP/cohort" ./cmd/cohort) || die "go build ./cmd/cohort failed"
log "building gencourse from $SHARED_BENCH"
(cd "$SHARED_BENCH" && go build -o "$TMP/gencourse" ./gencourse) || die "go build ./gencourse failed"

now_us() { local t=$EPOCHREALTIME; echo $((10#${t/[.,]/})); } # wall clock in µs, no fork

# read_until FD REGEX SECONDS LOG: reads lines from FD (copying them to LOG) until one
# matches REGEX; MATCH holds BASH_REMATCH of that line. Fails after SECONDS.
read_until() {
	local fd=$1 re=$2 limit=$3 logf=$4 line left deadline
	deadline=$(($(now_us) + limit * 1000000))
	while :; do
		left=$(((deadline - $(now_us)) / 1000000))
		((left > 0)) || { log "timed out waiting for /$re/ (see $logf)"; return 1; }
		if ! IFS= read -r -t "$left" -u "$fd" line; then
			log "no /$re/ on the stream (ended or timed out; see $logf)"
			return 1
		fi
		printf '%s\n' "$line" >>"$logf"
		if [[ $line =~ $re ]]; then
			MATCH=("${BASH_REMATCH[@]}")
			return 0
		fi
	done
}

# to_ms VALUE UNIT: a Go duration's number and unit as milliseconds.
to_ms() {
	case $2 in
	s) LC_ALL=C awk -v x="$1" 'BEGIN {printf "%.1f", x*1000}' ;;
	ms) LC_ALL=C awk -v x="$1" 'BEGIN {printf "%.1f", x}' ;;
	*) LC_ALL=C awk -v x="$1" 'BEGIN {printf "%.1f", x/1000}' ;; # µs
	esac
}

free_port() { # a loopback port nobody listens on
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

median() { printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
minof() { printf '%s\n' "$@" | LC_ALL=C sort -g | head -n 1; }
maxof() { printf '%s\n' "$@" | LC_ALL=C sort -g | tail -n 1; }
summary() { printf '%8.1f  (%s / %s)' "$(median "$@")" "$(minof "$@")" "$(maxof "$@")"; }

# Start-up waits allow for a cold 10,000-lesson build on a loaded machine.
STARTUP_S=900
EDIT_S=120
LOAD_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
if LC_ALL=C awk -v l="$LOAD_START" -v n="$(nproc)" 'BEGIN {exit !(l + 0 > n / 2)}'; then
	log "warning: load average is $LOAD_START on $(nproc) CPUs; the figures will be noisy"
fi
REPORT=()

for LESSONS in "${SIZE_LIST[@]}"; do
	MODULES=$((LESSONS / 100 > 20 ? LESSONS / 100 : 20))
	COURSE=$TMP/course-$LESSONS
	HSITE=$TMP/hugo-$LESSONS
	log "generating $LESSONS lessons in $MODULES modules (seed 1), both formats"
	"$TMP/gencourse" -out "$COURSE" -lessons "$LESSONS" -modules "$MODULES" -seed 1 -format course >/dev/null ||
		die "gencourse -format course failed"
	"$TMP/gencourse" -out "$HSITE" -lessons "$LESSONS" -modules "$MODULES" -seed 1 -format hugo >/dev/null ||
		die "gencourse -format hugo failed"

	# Each server's output goes through a FIFO that this script reads as it comes, so
	# that "the line appeared" is timed when it appears, without polling.
	rm -f "$TMP"/*.fifo
	mkfifo "$TMP/cohort.fifo" "$TMP/events.fifo" "$TMP/hugo.fifo"
	CLOG=$LOGS/cohort-$LESSONS.stdout ELOG=$LOGS/events-$LESSONS.log HLOG=$LOGS/hugo-$LESSONS.log

	log "starting cohort serve (cold first build)"
	t0=$(now_us)
	"$TMP/cohort" serve --source "$COURSE" --addr 127.0.0.1:0 >"$TMP/cohort.fifo" 2>"$LOGS/cohort-$LESSONS.stderr" &
	PIDS+=($!)
	exec {CFD}<"$TMP/cohort.fifo"
	read_until "$CFD" 'Serving .* at (http://[^ ]+)' "$STARTUP_S" "$CLOG" || die "cohort serve did not start"
	URL=${MATCH[1]}
	log "  cohort serves $URL after $((($(now_us) - t0) / 1000)) ms"
	curl -sN "${URL}_cohort/events" >"$TMP/events.fifo" &
	PIDS+=($!)
	exec {EFD}<"$TMP/events.fifo"
	read_until "$EFD" '^: connected' 30 "$ELOG" || die "cannot subscribe to ${URL}_cohort/events"

	log "starting hugo server (first build)"
	t0=$(now_us)
	(cd "$HSITE" && exec "$HUGO" server --port "$(free_port)" --bind 127.0.0.1 --disableFastRender=false) >"$TMP/hugo.fifo" 2>&1 &
	PIDS+=($!)
	exec {HFD}<"$TMP/hugo.fifo"
	read_until "$HFD" 'Web Server is available at (http://[^ ]+)' "$STARTUP_S" "$HLOG" || die "hugo server did not start"
	log "  hugo serves ${MATCH[1]} after $((($(now_us) - t0) / 1000)) ms"

	mapfile -t LESSON_FILES < <(cd "$COURSE/content" && find . -mindepth 2 -name '*.md' ! -name '_index.md' -type f | LC_ALL=C sort)
	C_E2E=() C_OWN=() H_E2E=() H_OWN=()
	for ((i = 1; i <= EDITS; i++)); do
		# The same lesson in both, a different one each time, spread over the course.
		rel=${LESSON_FILES[((2 * i - 1) * ${#LESSON_FILES[@]} / (2 * EDITS)) % ${#LESSON_FILES[@]}]#./}
		page=/${rel%.md}/index.html
		sentence=$(printf '\nA sentence added by the benchmark, edit %d.\n' "$i")

		t0=$(now_us)
		printf '%s\n' "$sentence" >>"$COURSE/content/$rel"
		read_until "$EFD" "^data: .*\"kind\":\"(reload|failed)\".*" "$EDIT_S" "$ELOG" || die "no reload from cohort"
		while [[ ${MATCH[1]} == reload && ${MATCH[0]} != *"\"$page\""* ]]; do # a reload for something else
			read_until "$EFD" "^data: .*\"kind\":\"(reload|failed)\".*" "$EDIT_S" "$ELOG" || die "no reload from cohort"
		done
		t1=$(now_us)
		[[ ${MATCH[1]} == reload ]] || die "cohort's build failed: ${MATCH[0]}"
		read_until "$CFD" 'changed: .* in ([0-9.]+)(µs|ms|s)$' "$EDIT_S" "$CLOG" || die "cohort printed no rebuild line"
		C_E2E+=("$(LC_ALL=C awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d/1000}')")
		C_OWN+=("$(to_ms "${MATCH[1]}" "${MATCH[2]}")")

		t0=$(now_us)
		printf '%s\n' "$sentence" >>"$HSITE/content/$rel"
		read_until "$HFD" 'Total in ([0-9.]+) ms' "$EDIT_S" "$HLOG" || die "hugo printed no rebuild time"
		t1=$(now_us)
		H_E2E+=("$(LC_ALL=C awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d/1000}')")
		H_OWN+=("${MATCH[1]}")
		log "  edit $i $rel: cohort ${C_E2E[-1]} ms to the reload event (it says ${C_OWN[-1]} ms); hugo says ${H_OWN[-1]} ms, ${H_E2E[-1]} ms to its line"
		sleep 0.3 # let both settle (GC, writes) before the next edit
	done
	stop_all
	exec {CFD}<&- {EFD}<&- {HFD}<&-

	REPORT+=("$(printf '%-8s %-7s %-34s %s' "$LESSONS" cohort "$(summary "${C_E2E[@]}")" "$(summary "${C_OWN[@]}")")")
	REPORT+=("$(printf '%-8s %-7s %-34s %s' "$LESSONS" hugo "$(summary "${H_E2E[@]}")" "$(summary "${H_OWN[@]}")")")
	REPORT+=("$(printf '%-8s hugo/cohort (median, each its own report): %s' "$LESSONS" \
		"$(LC_ALL=C awk -v h="$(median "${H_OWN[@]}")" -v c="$(median "${C_OWN[@]}")" 'BEGIN {printf "%.2fx (>1: cohort is faster)", h/c}')")")
done

COMMIT=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
echo
echo "cohort serve vs hugo server: one lesson edited (a sentence appended), $EDITS edits per tool and size, alternating"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); $(go env GOVERSION); cohort $COMMIT; $("$HUGO" version | awk '{print $1, $2}')"
echo "load average (1 min): $LOAD_START at the start, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?') at the end (a quiet machine is well under $(nproc))"
echo
echo "write-to-signal ms: cohort, from the write to the reload event on /_cohort/events (curl);"
echo "                    hugo, from the write to its 'Total in' line (its websocket reload comes after)."
echo "own report ms:      cohort's rebuild line (from the first file event, quiet window included, to the event sent);"
echo "                    hugo's 'Total in' (the rebuild only)."
echo
printf '%-8s %-7s %-34s %s\n' lessons tool "write-to-signal median (min / max)" "own report median (min / max)"
printf '%s\n' "${REPORT[@]}"
