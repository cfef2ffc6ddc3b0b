#!/usr/bin/env bash
# Validates what the program writes against HL7's official R4 schemas (not our code):
# every corpus file converted to XML is checked with xmllint against fhir-single.xsd, and to
# JSON with Python jsonschema against fhir.schema.json; error outputs (OperationOutcome) too.
# Usage: scripts/validate-output.sh [path/to/rpl-adapter]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/.build/debug/rpl-adapter}
corpus=$here/TestData/corpus
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/xml" "$out/json"

n=0
for f in "$corpus"/hl7-examples/json/*-*.json "$corpus"/hl7-examples/xml/*.xml \
         "$corpus"/synthea/bundles/*.json "$corpus"/lab-ig/*/*; do
  base=$(basename "$f"); base=${base%.*}
  src=$(basename "$(dirname "$f")")
  "$bin" convert --to xml "$f" > "$out/xml/$src-$base.xml"
  "$bin" convert --to json "$f" > "$out/json/$src-$base.json"
  n=$((n + 1))
done
# What `apply` wrote in the end-to-end tests (kept by the tests in .build/test-outputs), in both
# formats, and apply on the bundled example.
for f in "$here"/.build/test-outputs/*.json; do
  [ -e "$f" ] || continue
  base=$(basename "$f" .json)
  cp "$f" "$out/json/$base.json"
  "$bin" convert --to xml "$f" > "$out/xml/$base.xml"
  n=$((n + 1))
done
"$bin" apply --as-of 2026-11-02 "$here/Fixtures/examples/two-losses-tsh.json" > "$out/json/apply-example.json"
"$bin" apply --as-of 2026-11-02 --output-format xml "$here/Fixtures/examples/two-losses-tsh.json" > "$out/xml/apply-example.xml"
# The expected outputs of Fixtures/.
for f in "$here"/Fixtures/*/expected.json; do
  s=$(basename "$(dirname "$f")")
  cp "$f" "$out/json/fixture-$s.json"
  "$bin" convert --to xml "$f" > "$out/xml/fixture-$s.xml"
done
# Profiles/ are FHIR too.
for f in "$here"/Profiles/*.json; do
  cp "$f" "$out/json/profile-$(basename "$f")"
  "$bin" convert --to xml "$f" > "$out/xml/profile-$(basename "$f" .json).xml"
done
# Error outputs are FHIR too.
printf '{"resourceType":"Patient",\n"gender": male}' | "$bin" convert --to xml - > "$out/xml/error-1.xml" || true
printf '{"resourceType":"Patient",\n"gender": male}' | "$bin" convert --to json - > "$out/json/error-1.json" || true
printf '<!DOCTYPE x><Patient xmlns="http://hl7.org/fhir"/>' | "$bin" convert --to xml - > "$out/xml/error-2.xml" || true
echo "converted $n inputs (corpus and apply outputs of the tests) to both formats"

xmllint --noout --schema "$corpus/schemas/xsd/fhir-single.xsd" "$out"/xml/*.xml 2> "$out/xmllint.log" || {
  grep -v ' validates$' "$out/xmllint.log" | head -20; echo "XML output does not validate"; exit 1; }
echo "$(ls "$out"/xml | wc -l) XML outputs validate against fhir-single.xsd"

python3 - "$corpus" "$out"/json/*.json <<'PY'
import copy, json, os, sys
import jsonschema
corpus = sys.argv[1]
schema = json.load(open(os.path.join(corpus, 'schemas/json/fhir.schema.json')))
validators = {}

def validator(type_name):
    # One resource type at a time: the same definitions as the whole schema, without making
    # jsonschema try all 146 branches of ResourceList's oneOf for every Bundle entry.
    if type_name not in validators:
        validators[type_name] = jsonschema.Draft6Validator(
            {'$ref': '#/definitions/' + type_name, 'definitions': schema['definitions']})
    return validators[type_name]

def errors(resource, where):
    t = resource.get('resourceType')
    if t not in schema['definitions']:
        return [f'{where}: unknown resourceType {t}']
    if t == 'Bundle':
        shell = copy.deepcopy(resource)
        inner = []
        for i, e in enumerate(shell.get('entry', [])):
            if 'resource' in e:
                inner.append((e.pop('resource'), f'{where}.entry[{i}].resource'))
                if not e:
                    e['fullUrl'] = 'urn:uuid:00000000-0000-0000-0000-000000000000'
        found = [f'{where}: {e.message[:200]} at {list(e.absolute_path)}' for e in validator(t).iter_errors(shell)]
        for r, w in inner:
            found += errors(r, w)
        return found
    return [f'{where}: {e.message[:200]} at {list(e.absolute_path)}' for e in validator(t).iter_errors(resource)]

# HL7's own file fails the schema (a U+00A0 in resultsInterpreter.display against the string
# pattern): our output must fail in exactly the same way, no more.
known_invalid_sources = {'DiagnosticReport-gingival-mass': 'hl7-examples/json/DiagnosticReport-gingival-mass.json',
                         'diagnosticreport-example-gingival-mass': 'hl7-examples/json/DiagnosticReport-gingival-mass.json'}
bad = 0
for path in sys.argv[2:]:
    found = errors(json.load(open(path)), os.path.basename(path))
    stem = os.path.basename(path).split('-', 1)[1].rsplit('.', 1)[0] if '-' in os.path.basename(path) else ''
    if found and stem in known_invalid_sources:
        official = errors(json.load(open(os.path.join(corpus, known_invalid_sources[stem]))), os.path.basename(path))
        if sorted(found) == sorted(official):
            continue
    if found:
        bad += 1
        print('\n'.join(found[:3]))
print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} JSON outputs validate against fhir.schema.json")
sys.exit(1 if bad else 0)
PY

# A second, independent R4 model: fhir.resources 6.4.0 (the last R4 release; pydantic < 2) must
# accept every JSON output too. Installed once into .venv-check/.
venv="$here/.venv-check"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import fhir.resources' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'fhir.resources==6.4.0' 'pydantic<2'
fi
"$venv/bin/python" - "$corpus" "$out"/json/*.json <<'PY'
import json, os, sys
from fhir.resources import construct_fhir_element
corpus = sys.argv[1]

def problem(d):
    try:
        construct_fhir_element(d['resourceType'], d)
        return None
    except Exception as e:
        return str(e)

# HL7 examples that fhir.resources itself rejects (relative URLs in Patient.photo.url and
# Endpoint.address; a U+00A0 in a string): our output must fail exactly as the official file does.
official = {
    'Patient-f201': 'Patient-f201.json', 'patient-example-f201-roel': 'Patient-f201.json',
    'Bundle-b0a5e4277-83c4-4adb-87e2-e3efe3369b6f': 'Bundle-b0a5e4277-83c4-4adb-87e2-e3efe3369b6f.json',
    'endpoint-examples-general-template': 'Bundle-b0a5e4277-83c4-4adb-87e2-e3efe3369b6f.json',
    'DiagnosticReport-gingival-mass': 'DiagnosticReport-gingival-mass.json',
    'diagnosticreport-example-gingival-mass': 'DiagnosticReport-gingival-mass.json',
}
bad = 0
for path in sys.argv[2:]:
    found = problem(json.load(open(path)))
    if found is None:
        continue
    stem = os.path.basename(path).split('-', 1)[-1].rsplit('.', 1)[0]
    if stem in official and problem(json.load(open(os.path.join(corpus, 'hl7-examples/json', official[stem])))) == found:
        continue
    bad += 1
    print(path, found[:300])
print(f"{len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} JSON outputs accepted by fhir.resources 6.4.0 (or rejected exactly as HL7's own file)")
sys.exit(1 if bad else 0)
PY
