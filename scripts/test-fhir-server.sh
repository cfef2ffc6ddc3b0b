#!/usr/bin/env bash
# The output against a real FHIR server: sekmet-fhir from PyPI (it needs pydantic 2) in a
# throw-away .venv-sekmet/, on 127.0.0.1, stopped at the end.
# Usage: scripts/test-fhir-server.sh [path/to/rpl-adapter]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/.build/debug/rpl-adapter}
venv=$here/.venv-sekmet
if [ ! -x "$venv/bin/sekmet" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'sekmet-fhir>=0.1.1'
fi
"$venv/bin/python" "$here/scripts/test-fhir-server.py" "$bin"
