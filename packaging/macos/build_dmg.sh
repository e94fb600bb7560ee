#!/usr/bin/env bash
# Build the DPO Studio macOS app and disk image: PyInstaller .app -> checks -> smoke test -> signing
# -> .dmg (with an /Applications link) -> smoke test of the app inside the mounted .dmg.
#
#   python3.11 -m venv .venv && .venv/bin/pip install -e ".[packaging]"
#   bash packaging/macos/build_dmg.sh          # -> build/installer/DPO-Studio-<version>-<arch>.dmg
#
# Runs on macOS 13 or later (PySide6 >= 6.10 needs it) with the Xcode command line tools
# (codesign, plutil, hdiutil are part of macOS). Build on the architecture you ship: an arm64
# Python builds an arm64 app, an x86_64 Python an Intel one.
#
# Signing: without settings the app is ad-hoc signed (runs on the building Mac; other Macs need a
# right-click > Open the first time). Set DPO_STUDIO_CODESIGN_IDENTITY="Developer ID Application: ..."
# to sign with your certificate (PyInstaller signs every binary, this script re-signs the bundle with
# the hardened runtime), and NOTARY_PROFILE=<keychain profile made with `xcrun notarytool
# store-credentials`> to notarize and staple the .dmg.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
APP_NAME="DPO Studio"
started=$(date +%s)

[ "$(uname -s)" = Darwin ] || { echo "build_dmg: run this on macOS" >&2; exit 2; }
VERSION="$("$PYTHON" packaging/project_version.py)"
ARCH="$(uname -m)"
DIST="$REPO/build/dist"
APP="$DIST/$APP_NAME.app"
OUT="$REPO/build/installer"
DMG="$OUT/DPO-Studio-$VERSION-$ARCH.dmg"

echo "== PyInstaller ($VERSION, $ARCH)"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$REPO/build/pyinstaller" packaging/dpo_studio.spec
[ -d "$APP" ] || { echo "build_dmg: $APP was not built" >&2; exit 1; }
frozen_seconds=$(($(date +%s) - started))

echo "== checking Info.plist"
PLIST="$APP/Contents/Info.plist"
plutil -lint "$PLIST"
plist_value() { /usr/libexec/PlistBuddy -c "Print :$1" "$PLIST"; }
[ "$(plist_value CFBundleShortVersionString)" = "$VERSION" ] || { echo "build_dmg: wrong version in Info.plist" >&2; exit 1; }
[ "$(plist_value CFBundleExecutable)" = "dpo-studio-gui" ] || { echo "build_dmg: wrong CFBundleExecutable" >&2; exit 1; }
[ "$(plist_value NSHighResolutionCapable)" = true ] || { echo "build_dmg: not marked high-DPI" >&2; exit 1; }
[ "$(plist_value NSRequiresAquaSystemAppearance)" = false ] || { echo "build_dmg: dark mode disabled" >&2; exit 1; }
[ "$(plist_value LSBackgroundOnly 2>/dev/null || echo false)" = false ] || { echo "build_dmg: app marked background-only" >&2; exit 1; }
plist_value "CFBundleDocumentTypes:0:CFBundleTypeExtensions:0" | grep -qx jsonl
[ -f "$APP/Contents/Resources/$(plist_value CFBundleIconFile)" ] || { echo "build_dmg: .icns missing" >&2; exit 1; }

smoke() {
  # The console executable inside the bundle; the smoke test uses a temporary profile of its own and
  # fails on unexpected stderr. Here we also insist that nothing at all reached stderr.
  local exe="$1/Contents/MacOS/dpo-studio" err
  err="$(mktemp)"
  echo "== smoke test: $exe"
  "$exe" --smoke-test 2>"$err" || { cat "$err" >&2; exit 1; }
  if [ -s "$err" ]; then
    echo "build_dmg: the smoke test wrote to stderr:" >&2
    cat "$err" >&2
    exit 1
  fi
  rm -f "$err"
}
smoke "$APP"

echo "== signing"
if [ -n "${DPO_STUDIO_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$DPO_STUDIO_CODESIGN_IDENTITY" "$APP"
else
  codesign --force --deep --sign - "$APP" # ad-hoc: required on Apple silicon, no certificate needed
fi
codesign --verify --strict --deep --verbose=2 "$APP"

echo "== disk image"
STAGE="$(mktemp -d)"
MOUNT="$(mktemp -d)"
cleanup() {
  hdiutil detach "$MOUNT" -quiet 2>/dev/null || true
  rm -rf "$STAGE" "$MOUNT"
}
trap cleanup EXIT
ditto "$APP" "$STAGE/$APP_NAME.app"
ln -s /Applications "$STAGE/Applications"
mkdir -p "$OUT"
rm -f "$DMG"
hdiutil create -volname "$APP_NAME $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
hdiutil verify "$DMG"
if [ -n "${DPO_STUDIO_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$DPO_STUDIO_CODESIGN_IDENTITY" "$DMG"
fi
if [ -n "${NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi

# What users get: mount the image read-only and run the app from it, as qutebrowser's release does.
hdiutil attach "$DMG" -nobrowse -readonly -noautoopen -mountpoint "$MOUNT" -quiet
smoke "$MOUNT/$APP_NAME.app"
hdiutil detach "$MOUNT" -quiet

size_mb=$(du -m "$DMG" | cut -f1)
echo "disk image: $DMG"
echo "disk image size: ${size_mb} MB"
echo "build time: $(($(date +%s) - started)) s (PyInstaller ${frozen_seconds} s)"
