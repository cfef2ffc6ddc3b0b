#!/usr/bin/env bash
# deliver against real peers: sekmet-fhir and python hl7's MLLP server, in a throw-away
# .venv-deliver/ (sekmet needs pydantic 2), all on 127.0.0.1.
# Usage: scripts/test-deliver.sh [path/to/rpl-adapter]   (rpl-deliver must be beside it)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/.build/debug/rpl-adapter}
venv=$here/.venv-deliver
if [ ! -x "$venv/bin/sekmet" ] || ! "$venv/bin/python" -c 'import hl7' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'sekmet-fhir>=0.1.1' 'hl7>=0.4'
fi
"$venv/bin/python" "$here/scripts/test-deliver.py" "$bin"
