#!/usr/bin/env bash
# Per-user install of the unpacked Stagewise folder (no admin rights): copies it to ~/.local/opt,
# links the programs into ~/.local/bin and adds the menu entry and icon.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEST=${XDG_DATA_HOME:-$HOME/.local/share}/../opt/stagewise
DEST=$(mkdir -p "$DEST" && cd "$DEST" && pwd)
cp -a "$SRC/." "$DEST/"
mkdir -p "$HOME/.local/bin" "${XDG_DATA_HOME:-$HOME/.local/share}/applications" \
         "${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
ln -sf "$DEST/Stagewise" "$HOME/.local/bin/Stagewise"
ln -sf "$DEST/stagewise-cli" "$HOME/.local/bin/stagewise"
cp "$DEST/stagewise.png" "${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps/stagewise.png"
sed "s|^Exec=.*|Exec=$DEST/Stagewise|" "$DEST/stagewise.desktop" \
  > "${XDG_DATA_HOME:-$HOME/.local/share}/applications/stagewise.desktop"
echo "Stagewise installed in $DEST; start it from your applications menu or run 'Stagewise'."
