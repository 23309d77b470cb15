#!/usr/bin/env bash
# Check the system libraries that Qt needs, and install the missing Debian packages
# when running as root. Usage: scripts/system-deps.sh test|run
# "test" checks what the offscreen test suite needs; "run" adds the X11 (xcb) window system.
set -euo pipefail
mode=${1:-test}
venv=${VENV:-.venv}
qt=$("$venv/bin/python" -c 'import os, PySide6; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))')

libs=("$qt/lib/libQt6Gui.so.6" "$qt/lib/libQt6Widgets.so.6" "$qt/plugins/platforms/libqoffscreen.so")
if [ "$mode" = run ]; then
  libs+=("$qt/plugins/platforms/libqxcb.so" "$qt/lib/libQt6XcbQpa.so.6")
fi

# Shared object → Debian package (bookworm and later).
declare -A package=(
  [libEGL.so.1]=libegl1 [libGL.so.1]=libgl1 [libGLX.so.0]=libglx0 [libOpenGL.so.0]=libopengl0
  [libfontconfig.so.1]=libfontconfig1 [libfreetype.so.6]=libfreetype6
  [libxkbcommon.so.0]=libxkbcommon0 [libxkbcommon-x11.so.0]=libxkbcommon-x11-0
  [libglib-2.0.so.0]=libglib2.0-0 [libgthread-2.0.so.0]=libglib2.0-0 [libdbus-1.so.3]=libdbus-1-3
  [libX11.so.6]=libx11-6 [libX11-xcb.so.1]=libx11-xcb1 [libxcb.so.1]=libxcb1
  [libxcb-cursor.so.0]=libxcb-cursor0 [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-image.so.0]=libxcb-image0
  [libxcb-keysyms.so.1]=libxcb-keysyms1 [libxcb-randr.so.0]=libxcb-randr0
  [libxcb-render-util.so.0]=libxcb-render-util0 [libxcb-render.so.0]=libxcb-render0
  [libxcb-shape.so.0]=libxcb-shape0 [libxcb-shm.so.0]=libxcb-shm0 [libxcb-sync.so.1]=libxcb-sync1
  [libxcb-util.so.1]=libxcb-util1 [libxcb-xfixes.so.0]=libxcb-xfixes0 [libxcb-xkb.so.1]=libxcb-xkb1
  [libpng16.so.16]=libpng16-16 [libz.so.1]=zlib1g [libzstd.so.1]=libzstd1
)

missing=$(for lib in "${libs[@]}"; do ldd "$lib" 2>/dev/null; done | awk '/not found/ {print $1}' | sort -u)
[ -z "$missing" ] && exit 0

packages=()
for so in $missing; do
  if [ -n "${package[$so]:-}" ]; then packages+=("${package[$so]}"); else
    echo "Bibliothèque système manquante sans paquet connu : $so" >&2; fi
done
packages=($(printf '%s\n' "${packages[@]}" | sort -u))
echo "Qt a besoin de bibliothèques système absentes : $(echo $missing)" >&2
[ ${#packages[@]} -eq 0 ] && exit 1
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installation des paquets Debian : ${packages[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
else
  echo "Installez-les avec : sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
