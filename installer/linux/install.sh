#!/usr/bin/env bash
# Per-user install of the unpacked Stagewise folder (no admin rights): copies it to ~/.local/opt/stagewise
# (replacing an older version completely, so no stale libraries are left), links the programs into
# ~/.local/bin and adds the menu entry and icon.  Practice files live elsewhere and are never touched.
# To uninstall: rm -rf ~/.local/opt/stagewise ~/.local/bin/Stagewise ~/.local/bin/stagewise
#   ~/.local/share/applications/stagewise.desktop ~/.local/share/icons/hicolor/256x256/apps/stagewise.png
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEST=${STAGEWISE_INSTALL_DIR:-$HOME/.local/opt/stagewise}
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
if [ "$SRC" != "$(mkdir -p "$DEST" && cd "$DEST" && pwd)" ]; then
  rm -rf "$DEST.new"
  cp -a "$SRC" "$DEST.new"
  rm -rf "$DEST"
  mv "$DEST.new" "$DEST"
fi
mkdir -p "$HOME/.local/bin" "$DATA/applications" "$DATA/icons/hicolor/256x256/apps"
ln -sf "$DEST/Stagewise" "$HOME/.local/bin/Stagewise"
ln -sf "$DEST/stagewise-cli" "$HOME/.local/bin/stagewise"
cp "$DEST/stagewise.png" "$DATA/icons/hicolor/256x256/apps/stagewise.png"
sed "s|^Exec=.*|Exec=\"$DEST/Stagewise\" %f|" "$DEST/stagewise.desktop" > "$DATA/applications/stagewise.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
echo "Stagewise installed in $DEST; start it from your applications menu or run 'Stagewise'."
case ":$PATH:" in
  *":$HOME/.local/bin:"*) ;;
  *) echo "Note: add ~/.local/bin to your PATH to run 'Stagewise' and 'stagewise' from a terminal." ;;
esac
