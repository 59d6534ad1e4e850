#!/usr/bin/env bash
# CI check of the compose files (docs/deploy.md): Debian's docker-compose validates each one (`config`), and every
# image a service pulls has a pinned tag (not latest, not missing); services built here (build:) are exempt.
# Installs Debian's docker-compose when it is missing (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=(docker-compose.yml docker-compose.dev.yml)

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "check-compose: installing Debian's docker-compose"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

status=0
for f in "${FILES[@]}"; do
  # No secrets in the environment here: config must hold with every optional variable unset.
  if env -i PATH="$PATH" HOME="$HOME" docker-compose -f "$f" config -q; then
    echo "check-compose: $f: valid"
  else
    echo "check-compose: $f: docker-compose config failed" >&2
    status=1
  fi
done
node scripts/check-compose-images.mjs "${FILES[@]}" || status=1
exit $status
