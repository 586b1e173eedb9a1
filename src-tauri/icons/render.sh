#!/usr/bin/env bash
# Renders the app icons from ui/public/bastide.svg (ImageMagick). Tauri needs RGBA PNGs,
# hence PNG32: (ImageMagick would otherwise pick a palette type for so few colours).
set -euo pipefail
cd "$(dirname "$0")"
svg=../../ui/public/bastide.svg
convert -background none "$svg" -resize 512x512 PNG32:icon.png
convert icon.png -resize 32x32 PNG32:32x32.png
convert icon.png -resize 128x128 PNG32:128x128.png
convert icon.png -resize 256x256 PNG32:128x128@2x.png
