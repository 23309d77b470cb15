#!/usr/bin/env bash
# Install Livret's menu entry and icons for one user (or into DESTDIR/PREFIX for a package).
# Usage: packaging/linux/install-desktop.sh [BUNDLE_DIR]
#   BUNDLE_DIR   the built bundle (dist/livret by default): Exec= points at its livret-gui
#   PREFIX       where share/ goes; default: ${XDG_DATA_HOME:-~/.local/share} itself
#   DESTDIR      staged install root (packagers), prepended to every path written
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=${1:-$root/dist/livret}
if [ -n "${PREFIX:-}" ]; then share="$PREFIX/share"; else share="${XDG_DATA_HOME:-$HOME/.local/share}"; fi
dest="${DESTDIR:-}$share"

if [ -e "$bundle/livret-gui" ]; then
  exec_path=$(cd "$bundle" && pwd)/livret-gui
else
  echo "Bundle introuvable dans « $bundle » : l'entrée lancera « livret-gui » depuis le PATH." >&2
  exec_path=livret-gui
fi

install -d "$dest/applications"
sed -e "s|^Exec=livret-gui|Exec=$exec_path|" -e "s|^TryExec=livret-gui|TryExec=$exec_path|" \
  "$here/livret.desktop" >"$dest/applications/livret.desktop"
chmod 644 "$dest/applications/livret.desktop"
for png in "$root"/resources/icons/livret-*.png; do
  size=$(basename "$png" .png); size=${size#livret-}
  install -D -m 644 "$png" "$dest/icons/hicolor/${size}x${size}/apps/livret.png"
done
install -D -m 644 "$root/resources/icons/livret.svg" "$dest/icons/hicolor/scalable/apps/livret.svg"

if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$dest/applications/livret.desktop"; fi
if [ -z "${DESTDIR:-}" ]; then
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$dest/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$dest/icons/hicolor" || true
fi
echo "Entrée de menu installée : $dest/applications/livret.desktop"
