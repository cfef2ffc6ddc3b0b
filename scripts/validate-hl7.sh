#!/usr/bin/env bash
# Validates the HL7 v2 output with python `hl7` and `hl7apy` (2.5.1), installed into a throw-away
# .venv-hl7/ (they are not ours, and not in the system Python).
# Usage: scripts/validate-hl7.sh [path/to/rpl-adapter]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/.build/debug/rpl-adapter}
venv=$here/.venv-hl7
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import hl7, hl7apy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'hl7>=0.4' 'hl7apy>=1.3'
fi
"$venv/bin/python" "$here/scripts/validate-hl7.py" "$bin"
