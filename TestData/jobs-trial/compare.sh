#!/usr/bin/env bash
# Rerun the --jobs N byte-for-byte comparisons. Usage: compare.sh [BINARY]
# Each case: the same command with --jobs 1,2,3,4,8,64 and without --jobs; stdout, stderr and exit
# status must be identical bytes. Prints PASS/FAIL per case and a count.
B=${1:-/tmp/bins-jobs/rpl-adapter}
cd "$(dirname "$0")"
OUT=runs; rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
REQ='http://fhir.nl/fhir/NamingSystem/agb-z|01234567'
run_case() {  # name, then the apply arguments (use JOBS where --jobs goes)
  local name=$1; shift
  local ref=""
  for n in 1 2 3 4 8 64 default; do
    local args=()
    for a in "$@"; do
      if [ "$a" = JOBS ]; then [ $n != default ] && args+=(--jobs "$n"); else args+=("$a"); fi
    done
    timeout 60 "$B" apply "${args[@]}" >"$OUT/$name.$n.out" 2>"$OUT/$name.$n.err" <"${STDIN:-/dev/null}"
    echo $? >"$OUT/$name.$n.rc"
    local h; h=$(cat "$OUT/$name.$n.out" "$OUT/$name.$n.err" "$OUT/$name.$n.rc" | md5sum | cut -c1-32)
    local sig="$(md5sum <"$OUT/$name.$n.out" | cut -c1-8)/$(md5sum <"$OUT/$name.$n.err" | cut -c1-8)/$(cat "$OUT/$name.$n.rc")"
    if [ -z "$ref" ]; then ref=$sig; elif [ "$sig" != "$ref" ]; then
      echo "FAIL $name: --jobs $n gives $sig, --jobs 1 gives $ref"; fail=$((fail+1)); return; fi
  done
  echo "PASS $name ($ref, $(wc -l <"$OUT/$name.1.out") out lines, $(wc -l <"$OUT/$name.1.err") err lines)"; pass=$((pass+1))
}
run_case ordinary      --as-of 2026-11-02 --input-format ndjson JOBS in/ordinary.ndjson
run_case variants      --as-of 2026-11-02 --input-format ndjson JOBS in/variants.ndjson
run_case bad           --as-of 2026-11-02 --input-format ndjson JOBS in/bad.ndjson
run_case crlf          --as-of 2026-11-02 --input-format ndjson JOBS in/crlf.ndjson
run_case nofinalnl     --as-of 2026-11-02 --input-format ndjson JOBS in/nofinalnl.ndjson
run_case badutf8       --as-of 2026-11-02 --input-format ndjson JOBS in/badutf8.ndjson
run_case nul           --as-of 2026-11-02 --input-format ndjson JOBS in/nul.ndjson
run_case deep          --as-of 2026-11-02 --input-format ndjson JOBS in/deep.ndjson
run_case dups          --as-of 2026-11-02 --input-format ndjson JOBS in/dups.ndjson
run_case many          --as-of 2026-11-02 --input-format ndjson JOBS in/many.ndjson
run_case hl7-ordinary  --as-of 2026-11-02 --input-format ndjson --output-format hl7v2 --requester "$REQ" JOBS in/ordinary.ndjson
run_case hl7-bad       --as-of 2026-11-02 --input-format ndjson --output-format hl7v2 --requester "$REQ" JOBS in/bad.ndjson
run_case hl7-files     --as-of 2026-11-02 --output-format hl7v2 --requester "$REQ" JOBS in/variant0.json in/variant0.xml in/missing.json in/p1.json
run_case en-ordinary   --as-of 2026-11-02 --language en --input-format ndjson JOBS in/ordinary.ndjson
run_case files-mixed   --as-of 2026-11-02 JOBS in/variant0.json in/variant0.xml in/missing.json in/adir in/p1.json in/variant3.xml in/garbage.json in/empty.json in/trunc.json in/trunc.xml in/p2.json in/variant5.xml in/p3.json
run_case files-json    --as-of 2026-11-02 JOBS in/variant0.json in/variant1.json in/variant2.json in/variant3.json in/variant4.json in/variant5.json in/variant6.json
run_case files-same    --as-of 2026-11-02 JOBS in/p1.json in/p1.json in/p1.json
run_case files-ndjson  --as-of 2026-11-02 --input-format ndjson JOBS in/ordinary.ndjson in/bad.ndjson
run_case noasof        --input-format ndjson JOBS in/ordinary.ndjson
STDIN=in/bad.ndjson run_case stdin-bad --as-of 2026-11-02 --input-format ndjson JOBS
STDIN=in/ordinary.ndjson run_case stdin-auto-ndjson --as-of 2026-11-02 JOBS
STDIN=in/ordinary.ndjson run_case stdin-twice --as-of 2026-11-02 --input-format ndjson JOBS - -
STDIN=in/variant0.xml run_case stdin-xml-among-files --as-of 2026-11-02 JOBS in/p1.json - in/p2.json
run_case ndjson-missing-mid --as-of 2026-11-02 --input-format ndjson JOBS in/variants.ndjson in/missing.ndjson in/crlf.ndjson in/adir in/nofinalnl.ndjson
run_case ndjson-big --as-of 2026-11-02 --input-format ndjson JOBS big8.ndjson
run_case files-all-bad --as-of 2026-11-02 JOBS in/garbage.json in/empty.json in/trunc.json in/trunc.xml
run_case hl7-xml-one --as-of 2026-11-02 --output-format hl7v2 --requester "$REQ" JOBS in/variant3.xml
run_case hl7-no-requester --as-of 2026-11-02 --output-format hl7v2 JOBS in/p1.json in/p2.json
run_case hl7-uzi-requester --as-of 2026-11-02 --output-format hl7v2 --requester 'urn:oid:2.16.528.1.1007.3.1|123456789' JOBS in/p1.json in/p2.json
run_case xml-out-one --as-of 2026-11-02 --output-format xml JOBS in/variant5.xml
echo "passed $pass, failed $fail"
