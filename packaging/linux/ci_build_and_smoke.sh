#!/usr/bin/env bash
# CI for the Linux installer: build the .deb, install it into a clean folder, run the INSTALLED app.
#
#   bash packaging/linux/ci_build_and_smoke.sh
#
# 1. packaging/linux/build_deb.sh (gzip-compressed here for speed; prints build time and size);
# 2. checks the package: metadata, file list, desktop entry, and that apt could install it;
# 3. unpacks it with dpkg-deb -x into a temporary root (works without root and leaves the machine
#    untouched), then runs the installed app's --smoke-test headless in a clean environment
#    (env -i: no venv, no PYTHONPATH, C.UTF-8 locale, offscreen Qt);
# 4. runs tests/test_packaging.py against the installed copy: the installed CLI's validate/stats/
#    convert output on the sample and corpus files must equal the source install's.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
export DEB_COMPRESSION="${DEB_COMPRESSION:-gzip}"
started=$(date +%s.%N)

bash packaging/linux/build_deb.sh
DEB="$(ls -t build/deb/dpo-studio_*.deb | head -1)"

echo "== package contents"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'
contents="$(dpkg-deb --contents "$DEB" | awk '{print $6}')"
for expected in ./opt/dpo-studio/dpo-studio ./opt/dpo-studio/dpo-studio-gui ./usr/bin/dpo-studio \
  ./usr/bin/dpo-studio-gui ./usr/share/applications/dpo-studio.desktop \
  ./usr/share/mime/packages/dpo-studio.xml ./usr/share/icons/hicolor/256x256/apps/dpo-studio.png \
  ./usr/share/icons/hicolor/scalable/apps/dpo-studio.svg ./usr/share/doc/dpo-studio/copyright; do
  grep -qx "$expected" <<<"$contents" || {
    echo "ci: $expected is missing from the package" >&2
    exit 1
  }
done
if command -v apt-get >/dev/null; then
  # Simulated install: every Depends resolves on this system (no root needed, nothing changes).
  apt-get -s -qq install "$REPO/$DEB" >/dev/null 2>&1 || apt-get -s install "$REPO/$DEB"
  echo "apt-get: the package's dependencies resolve on this machine"
fi

echo "== install into a clean folder"
ROOT="$REPO/build/installed-root"
rm -rf "$ROOT"
mkdir -p "$ROOT"
dpkg-deb -x "$DEB" "$ROOT"
desktop-file-validate "$ROOT/usr/share/applications/dpo-studio.desktop"
grep -qx 'exec /opt/dpo-studio/dpo-studio "$@"' "$ROOT/usr/bin/dpo-studio"
APP="$ROOT/opt/dpo-studio"

echo "== smoke test of the installed app"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
smoke_started=$(date +%s.%N)
# Also nothing on the process's stderr (the bootloader writes there before Python starts).
env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
  "$APP/dpo-studio" --smoke-test 2>"$home/stderr.txt"
if [ -s "$home/stderr.txt" ]; then
  echo "ci: the installed app wrote to stderr:" >&2
  cat "$home/stderr.txt" >&2
  exit 1
fi
# The windowed launcher (the desktop entry's command) must pass too, on a real X server when Xvfb is
# there: that exercises the bundled xcb platform plugin and the system libxcb/GL it links to.
if command -v xvfb-run >/dev/null; then
  env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=xcb \
    xvfb-run -a -s "-screen 0 1440x900x24" "$APP/dpo-studio-gui" --smoke-test | grep -E '^ok   qt:|passed'
else
  env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
    "$APP/dpo-studio-gui" --smoke-test >/dev/null
fi
# With a real Secret Service (gnome-keyring in a private D-Bus session, throwaway password, temporary
# HOME), the installed app must pick the SecretService backend: proves secretstorage/jeepney and
# keyring's entry points made it into the bundle.
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  keyring_report="$(
    env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen APP="$APP" \
      dbus-run-session -- sh -c 'echo -n "throwaway-$$" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        exec "$APP/dpo-studio" --smoke-test'
  )"
  grep '^ok   keyring' <<<"$keyring_report"
  grep -q '^ok   keyring: .*active keyring.backends.SecretService' <<<"$keyring_report" || {
    echo "ci: the installed app did not use the Secret Service:" >&2
    echo "$keyring_report" >&2
    exit 1
  }
fi
smoke_seconds=$(awk -v s="$smoke_started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')

echo "== installed CLI versus source install"
DPO_STUDIO_INSTALLED="$APP" QT_QPA_PLATFORM=offscreen \
  "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_packaging.py -k installed

total=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
echo "ci: package built, installed and smoke-tested in ${total} s (smoke tests ${smoke_seconds} s)"
