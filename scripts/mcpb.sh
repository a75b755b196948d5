#!/usr/bin/env bash
# Validate mcpb/manifest.json with the official mcpb CLI and pack the bundle: the manifest, the project (pyproject.toml,
# README, LICENSE, src/) that the host's uv installs, nothing else. Prints the bundle's SHA-256 (server.json's
# fileSha256 when the bundle is published).
set -euo pipefail
cd "$(dirname "$0")/.."
MCPB=.tools/node_modules/.bin/mcpb
VERSION=$(.venv/bin/python -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
STAGE=build/mcpb
rm -rf "$STAGE" && mkdir -p "$STAGE" dist
cp mcpb/manifest.json pyproject.toml README.md LICENSE "$STAGE"/
tar -C . --exclude='__pycache__' --exclude='*.egg-info' -cf - src | tar -C "$STAGE" -xf -
"$MCPB" validate "$STAGE/manifest.json"
"$MCPB" pack "$STAGE" "dist/halo-mcp-$VERSION.mcpb"
"$MCPB" info "dist/halo-mcp-$VERSION.mcpb"
sha256sum "dist/halo-mcp-$VERSION.mcpb"
