#!/usr/bin/env bash
# Build Warren's base image from Debian packages alone (no registry is reachable):
# debootstrap a minimal bookworm rootfs and `docker import` it under the tag given as $1.
set -euo pipefail

TAG="${1:?usage: base.sh TAG}"
MIRROR="${WARREN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${WARREN_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
ROOTFS="$(mktemp -d /tmp/warren-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "base: debootstrap bookworm (minbase) into $ROOTFS" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$ROOTFS" "$MIRROR" \
  > "$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"

cat > "$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
SOURCES
# Keep the image small: no apt caches, no docs, no man pages.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/*

echo "base: importing rootfs as $TAG" >&2
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$TAG" >/dev/null
