#!/usr/bin/env bash
# Copies the screenshots the e2e tests took (target/e2e-screenshots, written by every `make test`)
# that docs/guide.md shows into docs/guide/, so the guide is refreshed from a real run:
#   make test && scripts/guide-screenshots.sh && git add docs/guide
set -euo pipefail
cd "$(dirname "$0")/.."
shots=(home export-form export-done library library-changes browser browser-groups browser-changes
  timeline title-package viewer integrity-problems profile-form import-form library-imported settings)
mkdir -p docs/guide
for shot in "${shots[@]}"; do
  source="target/e2e-screenshots/$shot.png"
  if [ ! -f "$source" ]; then
    echo "missing $source: run the e2e tests first (make test)" >&2
    exit 1
  fi
  # Stripped of metadata (times, paths), so an unchanged screen makes an unchanged file.
  convert "$source" -strip "docs/guide/$shot.png"
done
echo "docs/guide: ${#shots[@]} screenshots"
