#!/usr/bin/env bash
# Builds a minimal Node.js base image from this machine's own files, for machines that cannot
# pull from public image registries (the Dockerfile's default BASE_IMAGE is node:24-slim).
# The image holds the host's node binary, the shared libraries it links, a POSIX shell and the
# few tools the Dockerfile's RUN steps use, iptables when this machine has it, and users root, nonroot (65532) and istio-proxy
# (1337). No package download at all: that is why it is not a debootstrap of Debian.
#
#   bash tools/base-image.sh [--tag <name>]     prints the tag; default skiff/node-base:local
#   BASE_IMAGE=$(bash tools/base-image.sh) docker compose up --build
set -euo pipefail

tag="skiff/node-base:local"
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "base-image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

command -v docker >/dev/null || { echo "base-image.sh: docker is not installed (apt-get install docker.io)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "base-image.sh: the Docker daemon is not reachable; start dockerd first" >&2; exit 1; }

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
node_bin="$(readlink -f "$(command -v node)")"
tools=(/bin/sh /bin/mkdir /bin/chown /bin/chmod /bin/ls /bin/cat /bin/rm /bin/ln /usr/bin/env /usr/bin/id)

copy_with_libs() {
  local file="$1" dest="$2"
  mkdir -p "$rootfs$(dirname "$dest")"
  cp -L "$file" "$rootfs$dest"
  # ldd prints "name => /path (addr)" and the loader as "/lib64/ld-linux... (addr)".
  ldd "$file" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    [ -e "$rootfs$lib" ] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

echo "▶ node $("$node_bin" --version) and ${#tools[@]} tools from this machine into $tag" >&2
copy_with_libs "$node_bin" /usr/local/bin/node
for t in "${tools[@]}"; do copy_with_libs "$(readlink -f "$t")" "$t"; done
# iptables (and the extension modules it loads at run time), for the transparent-interception
# init step; the multi-call binary picks its personality from the name it is called by.
if command -v iptables >/dev/null 2>&1; then
  multi="$(readlink -f "$(command -v iptables)")"
  copy_with_libs "$multi" "/usr/sbin/$(basename "$multi")"
  ln -sf "$(basename "$multi")" "$rootfs/usr/sbin/iptables"
  # Where this iptables was built to look for its modules (the real path, not a /lib symlink).
  xtables="$(readlink -f "$(dirname "$(ldd "$multi" | grep -oE '/[^ ]+libxtables[^ ]*' | head -1)")/xtables")"
  if [ -d "$xtables" ]; then
    for module in "$xtables"/*.so; do copy_with_libs "$module" "$module"; done
  fi
  echo "▶ with $(iptables --version 2>/dev/null | head -1)" >&2
fi
mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/app" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
istio-proxy:x:1337:1337:sidecar:/nonexistent:/bin/false
nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
istio-proxy:x:1337:
nonroot:x:65532:
GROUP
echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"

tar -C "$rootfs" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'WORKDIR /app' \
  -m "Skiff base: host node $("$node_bin" --version)" - "$tag" >/dev/null
docker run --rm "$tag" node -e 'process.exit(0)' || { echo "base-image.sh: the image was built but node does not run in it" >&2; exit 1; }
echo "✔ $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
echo "$tag"
