#!/usr/bin/env bash
# Rerun every check of this trial. Usage: run-all.sh [BINARY]   (about 2 minutes on 2 cores)
B=${1:-/tmp/bins-jobs/rpl-adapter}
cd "$(dirname "$0")"
[ -f in/blanks.ndjson ] && [ -f big8.ndjson ] || ./gen_extra.sh "$B" >/dev/null
echo "== same bytes for any --jobs (compare.sh)"; timeout 900 ./compare.sh "$B" | tail -1
echo "== repeated runs for races (repeat.sh)"; timeout 600 ./repeat.sh "$B" 20 | tail -1
echo "== interactive pipe, JSON"; for j in 1 2 4 8 default; do timeout 120 python3 interactive.py "$B" $j; done
echo "== interactive pipe, HL7 v2"; for j in 1 4; do timeout 60 python3 interactive_hl7.py "$B" $j; done
echo "== trickled input"; for j in 1 4 64; do timeout 120 python3 trickle.py "$B" $j; done
echo "== stdout a pipe already closed"; timeout 300 python3 closedpipe.py "$B"
echo "== stdout never read (backpressure)"; for j in 1 4 64; do timeout 120 python3 backpressure.py "$B" $j in/many.ndjson; done
echo "== stdout non-blocking"; for j in 1 4; do timeout 100 python3 nonblock.py "$B" $j; done
echo "== /dev/full"; for j in 1 4 64; do timeout 30 "$B" apply --as-of 2026-11-02 --input-format ndjson --jobs $j in/many.ndjson >/dev/full 2>/dev/null; echo "jobs=$j rc=$? (want 74)"; done
echo "== empty ndjson (README: empty input is 65)"; timeout 10 "$B" apply --input-format ndjson --jobs 4 </dev/null; echo "rc=$?"
echo "== --jobs values"; for v in 0 64 65 -1 1.5 '' abc +2 02; do timeout 30 "$B" apply --as-of 2026-11-02 --input-format ndjson --jobs "$v" in/p1.json >/dev/null 2>/tmp/jobs-trial-opt.err; echo "[$v] rc=$? $(head -1 /tmp/jobs-trial-opt.err | cut -c1-70)"; done; rm -f /tmp/jobs-trial-opt.err
echo "== time and CPU by --jobs (2,000 lines)"; for j in 1 2 4 8 16 64; do /usr/bin/time -f "%e s wall %U s user %M KB" -o /tmp/jobs-trial-t.txt timeout 120 "$B" apply --as-of 2026-11-02 --input-format ndjson --jobs $j in/many.ndjson >/dev/null 2>&1; echo "jobs=$j $(cat /tmp/jobs-trial-t.txt)"; done; rm -f /tmp/jobs-trial-t.txt
echo "== XML files in parallel (libxml2 on several threads), each --jobs 2/4/8/64 against --jobs 1"
for set in "in/xml/*.xml" "in/xmlbig/*.xml"; do
  ref=$(timeout 60 "$B" apply --as-of 2026-11-02 --jobs 1 $set 2>&1 | md5sum); d=0
  for i in 1 2 3 4 5; do for j in 2 4 8 64; do s=$(timeout 60 "$B" apply --as-of 2026-11-02 --jobs $j $set 2>&1 | md5sum); [ "$s" != "$ref" ] && d=$((d+1)); done; done
  echo "$set: 20 runs, $d differ"
done
