#!/usr/bin/env bash
# serve as a running process against others' code: fhirpy (PyPI) calling $apply, sekmet-fhir
# (PyPI) completing a prefetch, $rpl-transaction
# against the apply command's bytes, the loopback rule, SIGTERM during load. In a throw-away
# .venv-serve/, all on 127.0.0.1.
# Usage: scripts/test-serve.sh [path/to/rpl-adapter]   (rpl-serve must be beside it)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/.build/debug/rpl-adapter}
venv=$here/.venv-serve
if ! "$venv/bin/python" -c 'import fhirpy, sekmet' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'fhirpy==2.0.15' 'sekmet-fhir>=0.1.1'
fi
"$venv/bin/python" "$here/scripts/test-serve.py" "$bin"
