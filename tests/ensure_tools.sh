#!/usr/bin/env bash
# Make sure the external programs the integration tests drive are installed: Debian's chromium
# (dashboard tests) and Jupyter's nbconvert/nbclient plus the Deno kernel (notebook tests).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v jupyter-nbconvert >/dev/null 2>&1 || need+=(jupyter-nbconvert python3-nbclient jupyter-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_tools: installing ${need[*]} with apt-get" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ensure_tools: missing ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
# Register the Deno Jupyter kernel for the deno that runs this task.
if ! jupyter kernelspec list 2>/dev/null | grep -q '^ *deno '; then
  "${DENO_EXEC_PATH:-deno}" jupyter --install >/dev/null 2>&1 || { echo "ensure_tools: deno jupyter --install failed" >&2; exit 1; }
fi
