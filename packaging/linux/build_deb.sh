#!/usr/bin/env bash
# Build the DPO Studio Debian package (.deb) from this checkout.
#
#   bash packaging/linux/build_deb.sh            # -> build/deb/dpo-studio_<version>_<arch>.deb
#
# Steps: PyInstaller one-dir build (packaging/dpo_studio.spec) -> staged tree with the app in
# /opt/dpo-studio, launchers /usr/bin/dpo-studio and /usr/bin/dpo-studio-gui, a desktop entry, a MIME
# type for *.jsonl and hicolor icons -> dpkg-deb. Prints the build time and the package size.
#
# Needs: the project venv with the packaging extra (.venv/bin/pip install -e ".[packaging]"), dpkg-deb,
# desktop-file-validate (desktop-file-utils). Environment: PYTHON (default .venv/bin/python), OUT
# (output folder, default build/deb), SKIP_PYINSTALLER=1 to reuse build/dist/dpo-studio,
# DEB_COMPRESSION=xz|gzip|zstd (default xz: ~88 MB but ~2 min to compress; gzip: ~116 MB in ~15 s).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
OUT="${OUT:-$REPO/build/deb}"
DIST="$REPO/build/dist"
STAGE="$REPO/build/deb-root"
NAME=dpo-studio
started=$(date +%s.%N)

VERSION="$("$PYTHON" packaging/project_version.py)"
# PEP 440 pre-releases sort before the release in Debian only with a tilde: 1.0rc1 -> 1.0~rc1.
DEB_VERSION="$(sed -E 's/\.?(a|b|rc|dev)([0-9]*)$/~\1\2/' <<<"$VERSION")"
ARCH="$(dpkg --print-architecture)"

# Run-time packages the bundle does not carry. PyInstaller bundles most libraries but deliberately
# leaves out libc, the GL stack and libxcb (they must match the system); libfontconfig1 and
# libxkbcommon0 bring the font and keyboard configuration files (fontconfig-config, xkb-data) that the
# bundled copies read; libdbus-1-3 and libxcb-cursor0 are the Qt xcb plugin's companions; the Wayland
# and DRM libraries serve the Wayland platform plugin. The check below fails the build if a library
# the bundle links to comes from a package missing here.
DEPENDS=(
  libc6 libgl1 libegl1 libxcb1 libfontconfig1 libxkbcommon0 libdbus-1-3 libxcb-cursor0
  libwayland-client0 libwayland-cursor0 libwayland-egl1 libdrm2
)
RECOMMENDS=("fonts-dejavu-core | fonts-liberation2 | fonts-noto-core" "gnome-keyring | kwalletmanager")
# Datasets are often Chinese, Japanese or Korean; without a CJK font those characters show as boxes.
SUGGESTS=("fonts-noto-cjk")

if [ "${SKIP_PYINSTALLER:-0}" != 1 ]; then
  echo "== PyInstaller ($VERSION)"
  "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$REPO/build/pyinstaller" packaging/dpo_studio.spec 2>&1 |
    grep -v -e "Ignoring icon; supported only on Windows and macOS" -e "required via ctypes not found" \
      -e "Failed to collect submodules for 'pyqtgraph.opengl'" || true
fi
BUNDLE="$DIST/$NAME"
[ -x "$BUNDLE/dpo-studio" ] && [ -x "$BUNDLE/dpo-studio-gui" ] || {
  echo "build_deb: $BUNDLE is incomplete (PyInstaller failed?)" >&2
  exit 1
}
frozen_seconds=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')

echo "== staging"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/mime/packages" "$STAGE/usr/share/doc/$NAME"
cp -a "$BUNDLE" "$STAGE/opt/$NAME"
for launcher in dpo-studio dpo-studio-gui; do
  # A script rather than a symlink, so the frozen program always sees its real location.
  printf '#!/bin/sh\nexec /opt/%s/%s "$@"\n' "$NAME" "$launcher" >"$STAGE/usr/bin/$launcher"
  chmod 0755 "$STAGE/usr/bin/$launcher"
done
install -m 0644 resources/desktop/dpo-studio.desktop "$STAGE/usr/share/applications/$NAME.desktop"
install -m 0644 resources/desktop/dpo-studio-mime.xml "$STAGE/usr/share/mime/packages/$NAME.xml"
for png in resources/icons/hicolor/*/apps/dpo-studio.png; do
  size_dir="$(basename "$(dirname "$(dirname "$png")")")"
  install -D -m 0644 "$png" "$STAGE/usr/share/icons/hicolor/$size_dir/apps/$NAME.png"
done
install -D -m 0644 resources/icons/dpo-studio.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: DPO Studio"
  echo
  echo "Files: *"
  echo "Copyright: DPO Studio developers"
  echo "License: MIT"
  echo "Comment: /opt/$NAME bundles Python, Qt 6 (LGPL-3.0) and the Python packages listed in"
  echo " Help > About; their licence texts are in /opt/$NAME/_internal/*.dist-info and"
  echo " /opt/$NAME/_internal/resources/licenses."
  echo
  echo "License: MIT"
  sed -e 's/^$/./' -e 's/^/ /' resources/licenses/dpo-studio-MIT.txt
} >"$STAGE/usr/share/doc/$NAME/copyright"
# Files readable by all, programs and folders executable; nothing writable by others.
find "$STAGE" -type d -exec chmod 0755 {} +
find "$STAGE/opt" -type f -exec chmod go-w {} +

desktop-file-validate "$STAGE/usr/share/applications/$NAME.desktop"

echo "== checking libraries"
# Every library the bundle links to must resolve inside the bundle or come from a declared package.
links="$(mktemp)"
trap 'rm -f "$links"' EXIT
"$PYTHON" - "$STAGE/opt/$NAME" <<'PY' |
import pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*")):
    if path.is_file() and not path.is_symlink():
        with path.open("rb") as handle:
            if handle.read(4) == b"\x7fELF":
                print(path)
PY
  while read -r elf; do
    LD_LIBRARY_PATH="$STAGE/opt/$NAME/_internal" ldd "$elf" 2>/dev/null |
      awk -v stage="$STAGE" '/not found/ {print "NOTFOUND " $1; next} /=> \// && index($3, stage) != 1 {print $3}'
  done | sort -u >"$links"
if grep -q '^NOTFOUND' "$links"; then
  echo "build_deb: bundled code needs libraries this machine lacks: $(grep '^NOTFOUND' "$links" | cut -d' ' -f2 | tr '\n' ' ')" >&2
  exit 1
fi
declare -A owners=()
while read -r library; do
  real="$(readlink -f "$library")"
  owner=""
  for candidate in "$library" "$real" "/usr${real#/usr}" "${real#/usr}"; do
    owner="$(dpkg -S "$candidate" 2>/dev/null | head -1 || true)"
    [ -n "$owner" ] && break
  done
  owner="${owner%%:*}"
  [ -n "$owner" ] || { echo "build_deb: no Debian package owns $library" >&2; exit 1; }
  owners["$owner"]=1
done <"$links"
missing=()
for owner in "${!owners[@]}"; do
  # libglx0/libglvnd0 come with libgl1 and libegl1.
  [[ " ${DEPENDS[*]} " == *" $owner "* || "$owner" == libglx0 || "$owner" == libglvnd0 ]] || missing+=("$owner")
done
if ((${#missing[@]})); then
  echo "build_deb: the bundle links to libraries from undeclared packages: ${missing[*]}" >&2
  echo "build_deb: add them to DEPENDS in $0" >&2
  exit 1
fi
echo "system packages linked: $(printf '%s\n' "${!owners[@]}" | sort | tr '\n' ' ')"

installed_kb="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
depends="$(
  IFS=,
  echo "${DEPENDS[*]}" | sed 's/,/, /g'
)"
recommends="$(printf '%s, ' "${RECOMMENDS[@]}")"
cat >"$STAGE/DEBIAN/control" <<EOF
Package: $NAME
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: DPO Studio developers <dpo-studio@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: $depends
Recommends: ${recommends%, }
Suggests: ${SUGGESTS[*]}
Section: devel
Priority: optional
Description: prepare preference data and run DPO fine-tuning
 DPO Studio reads, checks, edits and converts preference (DPO) datasets in the
 formats found in the wild, estimates tokens and cost offline, and runs DPO
 fine-tuning jobs on Azure OpenAI, Microsoft Foundry and OpenAI.
 .
 This package bundles its own Python and Qt under /opt/dpo-studio.
EOF

echo "== dpkg-deb"
mkdir -p "$OUT"
DEB="$OUT/${NAME}_${DEB_VERSION}_${ARCH}.deb"
rm -f "$DEB"
case "${DEB_COMPRESSION:-xz}" in
  xz) compression=(-Zxz -z6) ;;
  gzip) compression=(-Zgzip -z6) ;;
  zstd) compression=(-Zzstd -z9) ;;  # needs dpkg >= 1.21.18 (Debian 12, Ubuntu 21.10) to install
  *) echo "build_deb: DEB_COMPRESSION must be xz, gzip or zstd" >&2; exit 2 ;;
esac
dpkg-deb --root-owner-group "${compression[@]}" --build "$STAGE" "$DEB" >/dev/null
total_seconds=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
deb_bytes=$(stat -c %s "$DEB")
echo "package: $DEB"
echo "package size: $(awk -v b="$deb_bytes" 'BEGIN {printf "%.1f MB", b / 1e6}') ($deb_bytes bytes); installed size: $((installed_kb / 1024)) MB"
echo "build time: ${total_seconds} s (PyInstaller ${frozen_seconds} s)"
