#!/usr/bin/env bash
# Installs MLmodel Inspector for the current user: the binary in ~/.local/bin, the icon, the
# desktop entry (so it starts by double-click, without a terminal) and the file type of
# `MLmodel` files; the app is offered for folders too ("Open With"). Run from the repository.
#   scripts/install-desktop.sh                 builds the release binary and installs it
#   scripts/install-desktop.sh --binary PATH   installs an already built binary
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
binary=""
if [ "${1:-}" = "--binary" ]; then
  binary="${2:?--binary needs a path}"
else
  cargo build --release --manifest-path "$root/Cargo.toml"
  binary="$root/target/release/mlmodel-inspector"
fi
install -Dm755 "$binary" "$bin/mlmodel-inspector"
install -Dm644 "$root/assets/icon.png" "$data/icons/hicolor/256x256/apps/mlmodel-inspector.png"
mkdir -p "$data/applications"
sed "s|^Exec=mlmodel-inspector|Exec=$bin/mlmodel-inspector|" "$root/assets/mlmodel-inspector.desktop" \
  > "$data/applications/mlmodel-inspector.desktop.tmp"
install -Dm644 "$data/applications/mlmodel-inspector.desktop.tmp" "$data/applications/mlmodel-inspector.desktop"
rm -f "$data/applications/mlmodel-inspector.desktop.tmp"
install -Dm644 "$root/assets/mlmodel-inspector-mime.xml" "$data/mime/packages/mlmodel-inspector.xml"
command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$data/icons/hicolor" || true
echo "installed: $bin/mlmodel-inspector and $data/applications/mlmodel-inspector.desktop"
