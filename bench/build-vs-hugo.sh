#!/usr/bin/env bash
# build-vs-hugo.sh: compare `cohort build` with Hugo on the same generated course.
#
# Run by hand (not part of the test suite). See bench/README.md for how to read it.
#
#   bench/build-vs-hugo.sh [-n LESSONS] [-m MODULES] [-r RUNS] [-f] [-k]
#
#   -n LESSONS  lessons in the generated course (default 10000)
#   -m MODULES  modules (weeks) in the generated course (default 100)
#   -r RUNS     cold runs per tool, and warm runs for cohort (default 5)
#   -f          also time, in the same alternation, goldmark alone and goldmark with
#               the output's writes (bench/floor): what no build of the course goes below
#   -k          keep the temporary folder (courses, outputs, logs) and print its path
#
# Environment: HUGO names the Hugo binary to compare with (default: hugo on PATH,
# installed from Debian when missing); SHARED_BENCH overrides the location of shared/bench (gencourse);
# TMPDIR chooses where the temporary folder goes.
set -euo pipefail

usage() { sed -n '4,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

LESSONS=10000
MODULES=100
RUNS=5
KEEP=0
FLOOR=0
while getopts ':n:m:r:fkh' opt; do
	case $opt in
	n) LESSONS=$OPTARG ;;
	m) MODULES=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	f) FLOOR=1 ;;
	k) KEEP=1 ;;
	h) usage; exit 0 ;;
	:) echo "build-vs-hugo: -$OPTARG needs a value" >&2; usage >&2; exit 2 ;;
	*) echo "build-vs-hugo: unknown option -$OPTARG" >&2; usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($# > 0)); then
	echo "build-vs-hugo: unexpected argument: $1" >&2; usage >&2; exit 2
fi
for v in LESSONS MODULES RUNS; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "build-vs-hugo: $v must be a positive integer, got '${!v}'" >&2; exit 2
	fi
done

log() { printf '[build-vs-hugo] %s\n' "$*" >&2; }
die() { printf 'build-vs-hugo: %s\n' "$*" >&2; exit 1; }

# --- locate the repository and shared/bench from this script's own path -------------
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
[[ -f $REPO/go.mod && -d $REPO/cmd/cohort ]] || die "cannot find the cohort repository at $REPO"
SHARED_BENCH=${SHARED_BENCH:-$REPO/../shared/bench}
[[ -d $SHARED_BENCH/gencourse ]] || die "cannot find gencourse in $SHARED_BENCH (set SHARED_BENCH=/path/to/shared/bench)"
SHARED_BENCH=$(cd -- "$SHARED_BENCH" && pwd -P)

# --- tools: go, hugo, /usr/bin/time --------------------------------------------------
[[ -n ${EPOCHREALTIME:-} ]] || die "bash 5 or later is needed (EPOCHREALTIME); this is bash $BASH_VERSION"
command -v go >/dev/null || die "go is not on PATH"
apt_install() { # apt_install PACKAGE WHAT
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		log "$2 is missing; installing the Debian package '$1' with apt-get"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2 ||
			die "apt-get install $1 failed"
	else
		die "$2 is missing; install it first, e.g. 'sudo apt-get install -y $1', then run again"
	fi
}
if [[ -z ${HUGO:-} ]]; then
	command -v hugo >/dev/null || apt_install hugo hugo
	HUGO=$(command -v hugo)
fi
[[ -x $HUGO ]] || die "HUGO=$HUGO is not an executable"
[[ -x /usr/bin/time ]] || apt_install time /usr/bin/time
/usr/bin/time -f '%e %M' true 2>/dev/null || die "/usr/bin/time does not take -f (GNU time needed)"

# --- temporary folder ------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/build-vs-hugo.XXXXXX")
cleanup() {
	if ((KEEP)); then
		log "kept $TMP"
	else
		rm -rf -- "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

COURSE=$TMP/course       # cohort layout; its cache is $COURSE/.cohort
HSITE=$TMP/hugo-site     # the same course as a Hugo site
COUT=$TMP/out-cohort
HOUT=$TMP/out-hugo
LOGS=$TMP/logs
mkdir -p "$LOGS"
export HUGO_CACHEDIR=$TMP/hugo-cache # keep Hugo's file cache inside the run, and clear it for cold runs

log "building cohort from $REPO"
(cd "$REPO" && go build -o "$TMP/cohort" ./cmd/cohort) || die "go build ./cmd/cohort failed"
if ((FLOOR)); then
	log "building bench/floor from $REPO"
	(cd "$REPO" && go build -o "$TMP/floor" ./bench/floor) || die "go build ./bench/floor failed"
fi
log "building gencourse from $SHARED_BENCH"
(cd "$SHARED_BENCH" && go build -o "$TMP/gencourse" ./gencourse) || die "go build ./gencourse failed"
log "generating $LESSONS lessons in $MODULES modules (seed 1), both formats"
"$TMP/gencourse" -out "$COURSE" -lessons "$LESSONS" -modules "$MODULES" -seed 1 -format course >/dev/null ||
	die "gencourse -format course failed"
"$TMP/gencourse" -out "$HSITE" -lessons "$LESSONS" -modules "$MODULES" -seed 1 -format hugo >/dev/null ||
	die "gencourse -format hugo failed"

# --- measuring -------------------------------------------------------------------------
# measure NAME DIR CMD...: runs CMD in DIR under /usr/bin/time -f '%e %M'; sets SECS
# (wall seconds, 10 ms resolution), RSS_KB (peak resident set) and MS (wall milliseconds
# from the shell's clock, for the short warm builds). On failure shows the build's
# stderr and exits non-zero. The clock is bash's own (EPOCHREALTIME, bash 5): taking
# it with date(1) put a process start of its own, 1-2 ms, into every warm figure.
measure() {
	local name=$1 dir=$2
	shift 2
	local out=$LOGS/$name.stdout err=$LOGS/$name.stderr tf=$LOGS/$name.time rc=0 t0 t1
	t0=${EPOCHREALTIME/[.,]/}
	(cd "$dir" && /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$out" 2>"$err") || rc=$?
	t1=${EPOCHREALTIME/[.,]/}
	if ((rc != 0)); then
		{
			echo "build-vs-hugo: $name failed (exit $rc): $*"
			local n
			n=$(wc -l <"$err")
			if ((n > 60)); then
				echo "--- stderr ($n lines; first 50 and last 5 of $err) ---"
				head -n 50 "$err"
				echo "[... $((n - 55)) lines left out ...]"
				tail -n 5 "$err"
			else
				echo "--- stderr ($err) ---"
				cat "$err"
			fi
			echo "--- stdout (last 20 lines) ---"
			tail -n 20 "$out"
		} >&2
		exit 1
	fi
	read -r SECS RSS_KB < <(tail -n 1 "$tf")
	MS=$(((10#$t1 - 10#$t0) / 1000))
}

cohort_build() { measure "$1" "$COURSE" "$TMP/cohort" build --source "$COURSE" --out "$COUT"; }
hugo_build() { measure "$1" "$HSITE" "$HUGO" --quiet --minify=false -d "$HOUT"; }

declare -a C_SECS=() C_RSS=() H_SECS=() H_RSS=() W_MS=() W_RSS=() N_MS=() W_NOTE=() F_MD=() F_BOTH=()

LOAD_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
if LC_ALL=C awk -v l="$LOAD_START" -v n="$(nproc)" 'BEGIN {exit !(l + 0 > n / 2)}'; then
	log "warning: load average is $LOAD_START on $(nproc) CPUs; the figures will be noisy"
fi
# settle DIR: before a cold run, the last run's files reach the disk, and, when this
# script may (root), the kernel forgets its cached blocks and then reads DIR's sources
# again. Without that, cold runs got slower one after another on an ext4 file system
# without a journal: creating a file there looks, for each free inode it passes, whether
# it was deleted in the last few minutes (ext4's find_inode_bit and recently_deleted,
# seen with perf), and every earlier run deleted ten thousand folders and files. The
# check only reads cached blocks, so dropping the cache ends it. The sources are read
# back so each tool starts with them in memory, as an author's machine has them.
SETTLE=sync
if [[ -w /proc/sys/vm/drop_caches ]]; then
	SETTLE="sync, drop the page cache, read the sources back"
fi
settle() {
	sync
	if [[ -w /proc/sys/vm/drop_caches ]]; then
		echo 3 >/proc/sys/vm/drop_caches
		find "$1" -type f -exec cat -- {} + >/dev/null
	fi
}

log "cold builds, alternating: $RUNS x (cohort, hugo); before each: $SETTLE"
for ((i = 1; i <= RUNS; i++)); do
	rm -rf -- "$COUT" "$COURSE/.cohort"
	settle "$COURSE"
	cohort_build "cohort-cold-$i"
	C_SECS+=("$SECS") C_RSS+=("$RSS_KB")
	log "  run $i  cohort ${SECS}s ${RSS_KB}KB"

	rm -rf -- "$HOUT" "$HSITE/resources" "$HSITE/public" "$HSITE/.hugo_build.lock" "$HUGO_CACHEDIR"
	settle "$HSITE"
	hugo_build "hugo-cold-$i"
	H_SECS+=("$SECS") H_RSS+=("$RSS_KB")
	log "  run $i  hugo   ${SECS}s ${RSS_KB}KB"

	if ((FLOOR)); then
		for mode in markdown both; do
			rm -rf -- "$TMP/out-floor"
			settle "$COURSE"
			measure "floor-$mode-$i" "$COURSE" "$TMP/floor" -source "$COURSE" -out "$TMP/out-floor" -mode "$mode"
			if [[ $mode == markdown ]]; then F_MD+=("$SECS"); else F_BOTH+=("$SECS"); fi
			log "  run $i  floor  ${SECS}s  $(tail -n 1 "$LOGS/floor-$mode-$i.stdout")"
		done
		rm -rf -- "$TMP/out-floor"
	fi

	if ((i == 1)); then
		# Sanity, once: both outputs hold a page for every lesson, module and the home.
		C_PAGES=$(find "$COUT" -name index.html -type f | wc -l)
		H_PAGES=$(find "$HOUT" -name index.html -type f | wc -l)
		missing_c=0 missing_h=0
		while IFS= read -r md; do
			rel=${md#"$COURSE/content/"}
			rel=${rel%.md}
			[[ ${rel##*/} == _index ]] && rel=${rel%_index}
			rel=${rel%/}
			page=${rel:+$rel/}index.html
			[[ -f $COUT/$page ]] || missing_c=$((missing_c + 1))
			[[ -f $HOUT/$page ]] || missing_h=$((missing_h + 1))
		done < <(find "$COURSE/content" -name '*.md' -type f)
		SOURCES=$(find "$COURSE/content" -name '*.md' -type f | wc -l)
		log "  sanity: $SOURCES Markdown sources; index.html files: cohort $C_PAGES, hugo $H_PAGES; sources without a page: cohort $missing_c, hugo $missing_h"
		if ((missing_c > 0 || missing_h > 0 || C_PAGES < SOURCES || H_PAGES < SOURCES)); then
			die "an output is missing pages (see the sanity line above); outputs are in $TMP (use -k to keep it)"
		fi
	fi
done

# Warm builds: the cache from the last cold cohort build is in place and up to date.
mapfile -t LESSON_FILES < <(cd "$COURSE/content" && find . -name '*.md' ! -name '_index.md' -type f | LC_ALL=C sort)
((${#LESSON_FILES[@]} > 0)) || die "no lesson files found in $COURSE/content"
log "warm builds: $RUNS x (one lesson's body changed), then $RUNS x no change"
for ((i = 1; i <= RUNS; i++)); do
	# Spread the edited lessons over the course, a different one each run.
	idx=$((((2 * i - 1) * ${#LESSON_FILES[@]} / (2 * RUNS)) % ${#LESSON_FILES[@]}))
	f=$COURSE/content/${LESSON_FILES[idx]#./}
	sleep 0.01 # a fresh mtime even on coarse-grained file systems
	printf '\nA sentence added by the benchmark for warm run %d.\n' "$i" >>"$f"
	touch "$f"
	cohort_build "cohort-warm-edit-$i"
	W_MS+=("$MS") W_RSS+=("$RSS_KB")
	W_NOTE+=("$(tail -n 1 "$LOGS/cohort-warm-edit-$i.stdout")")
	log "  edit $i  ${MS}ms  ${LESSON_FILES[idx]#./}  | ${W_NOTE[-1]}"
done
for ((i = 1; i <= RUNS; i++)); do
	cohort_build "cohort-warm-nochange-$i"
	N_MS+=("$MS")
	log "  no change $i  ${MS}ms  | $(tail -n 1 "$LOGS/cohort-warm-nochange-$i.stdout")"
done

# --- report ------------------------------------------------------------------------------
median() { printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
minof() { printf '%s\n' "$@" | LC_ALL=C sort -g | head -n 1; }
maxof() { printf '%s\n' "$@" | LC_ALL=C sort -g | tail -n 1; }
fmt() { LC_ALL=C awk -v x="$1" -v f="$2" 'BEGIN {printf f, x}'; }

c_med=$(median "${C_SECS[@]}") h_med=$(median "${H_SECS[@]}")
c_rss=$(median "${C_RSS[@]}") h_rss=$(median "${H_RSS[@]}")
c_rss_mb=$(LC_ALL=C awk '{printf "%.0f", $1/1024}' <<<"$c_rss")
h_rss_mb=$(LC_ALL=C awk '{printf "%.0f", $1/1024}' <<<"$h_rss")
ratio_t=$(LC_ALL=C awk -v h="$h_med" -v c="$c_med" 'BEGIN {if (c > 0) printf "%.2f", h/c; else print "n/a"}')
ratio_m=$(LC_ALL=C awk -v h="$h_rss" -v c="$c_rss" 'BEGIN {if (h > 0) printf "%.2f", c/h; else print "n/a"}')
w_med=$(fmt "$(median "${W_MS[@]}")" %.0f) n_med=$(fmt "$(median "${N_MS[@]}")" %.0f)
w_rss_mb=$(median "${W_RSS[@]}" | awk '{printf "%.0f", $1/1024}')

COMMIT=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
echo
echo "cohort vs hugo: $LESSONS lessons, $MODULES modules, seed 1, $RUNS runs each (alternating, cold)"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); $(go env GOVERSION); cohort $COMMIT; $("$HUGO" version | awk '{print $1, $2}')"
echo "load average (1 min): $LOAD_START at the start, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?') at the end (a quiet machine is well under $(nproc))"
echo "pages (index.html): cohort $C_PAGES, hugo $H_PAGES"
echo "before each cold run: $SETTLE"
echo
printf '%-8s %12s %16s %14s\n' tool "median cold s" "min / max s" "median RSS MB"
printf '%-8s %12s %16s %14s\n' cohort "$(fmt "$c_med" '%.2f')" "$(fmt "$(minof "${C_SECS[@]}")" '%.2f') / $(fmt "$(maxof "${C_SECS[@]}")" '%.2f')" "$c_rss_mb"
printf '%-8s %12s %16s %14s\n' hugo "$(fmt "$h_med" '%.2f')" "$(fmt "$(minof "${H_SECS[@]}")" '%.2f') / $(fmt "$(maxof "${H_SECS[@]}")" '%.2f')" "$h_rss_mb"
echo
echo "time   hugo/cohort (median cold): ${ratio_t}x   (>1: cohort is faster)"
echo "memory cohort/hugo (median RSS): ${ratio_m}x   (<1: cohort uses less)"
echo
echo "cohort warm, one lesson changed: median ${w_med} ms (min $(minof "${W_MS[@]}") / max $(maxof "${W_MS[@]}")), median RSS ${w_rss_mb} MB"
echo "cohort warm, nothing changed:    median ${n_med} ms (min $(minof "${N_MS[@]}") / max $(maxof "${N_MS[@]}"))"
echo "last warm one-lesson build said: ${W_NOTE[-1]}"
if ((FLOOR)); then
	echo
	echo "floor (bench/floor, no layout, highlighting, search or feed):"
	echo "  goldmark alone:            median $(fmt "$(median "${F_MD[@]}")" '%.2f') s (min $(fmt "$(minof "${F_MD[@]}")" '%.2f') / max $(fmt "$(maxof "${F_MD[@]}")" '%.2f'))"
	echo "  goldmark and the writes:   median $(fmt "$(median "${F_BOTH[@]}")" '%.2f') s (min $(fmt "$(minof "${F_BOTH[@]}")" '%.2f') / max $(fmt "$(maxof "${F_BOTH[@]}")" '%.2f'))"
	echo "  hugo's median cold / 5:    $(fmt "$(LC_ALL=C awk -v h="$h_med" 'BEGIN {print h/5}')" '%.2f') s, / 6: $(fmt "$(LC_ALL=C awk -v h="$h_med" 'BEGIN {print h/6}')" '%.2f') s"
fi
