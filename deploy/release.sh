#!/bin/sh
# release.sh builds cohort for every platform it is released for, each a
# static binary (CGO_ENABLED=0: the SQLite driver is pure Go) stamped with
# its version, packed as an archive, with a SHA256SUMS file.
#
#   deploy/release.sh              version from the tag on HEAD, else from site/build.go plus the commit
#   deploy/release.sh 0.2.0        an explicit version
#   OUT=/tmp/dist deploy/release.sh
#
# `cohort version` of each binary prints the version; the one for this
# machine is run to check that the stamp took.
set -eu

cd "$(dirname "$0")/.."
out=${OUT:-dist}
pkg=github.com/cohort-course/cohort
targets="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"

version=${1:-}
if [ -z "$version" ]; then
	version=$(git describe --tags --exact-match 2>/dev/null | sed 's/^v//') || true
fi
if [ -z "$version" ]; then
	base=$(sed -n 's/^var Version = "\(.*\)"$/\1/p' site/build.go)
	version="$base+$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
fi

rm -rf "$out"
mkdir -p "$out"
for target in $targets; do
	goos=${target%/*}
	goarch=${target#*/}
	name=cohort-$version-$goos-$goarch
	exe=cohort
	[ "$goos" = windows ] && exe=cohort.exe
	echo "building $name"
	mkdir -p "$out/$name"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
		-ldflags "-s -w -X $pkg/site.Version=$version" \
		-o "$out/$name/$exe" ./cmd/cohort
	cp README.md "$out/$name/"
	if [ "$goos" = windows ] && command -v zip >/dev/null 2>&1; then
		(cd "$out" && zip -qr "$name.zip" "$name")
	else
		tar -C "$out" -czf "$out/$name.tar.gz" "$name"
	fi
done

# The binary for this machine, if it is one of the targets, says its version.
here="$(go env GOOS)/$(go env GOARCH)"
case " $targets " in
*" $here "*)
	exe=cohort
	[ "$(go env GOOS)" = windows ] && exe=cohort.exe
	got=$("$out/cohort-$version-$(go env GOOS)-$(go env GOARCH)/$exe" version)
	if [ "$got" != "cohort $version" ]; then
		echo "release.sh: the $here binary says \"$got\", want \"cohort $version\"" >&2
		exit 1
	fi
	echo "checked: $got"
	;;
esac

(cd "$out" && for f in *.tar.gz *.zip; do [ -e "$f" ] && echo "$f"; done | xargs sha256sum > SHA256SUMS)
echo "wrote $(ls "$out" | grep -c -e '\.tar\.gz$' -e '\.zip$') archives and SHA256SUMS to $out/"
