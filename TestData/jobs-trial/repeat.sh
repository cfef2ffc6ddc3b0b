#!/usr/bin/env bash
# Repeat runs to look for races: each must match its --jobs 1 reference. Usage: repeat.sh [BINARY] [ITER]
B=${1:-/tmp/bins-jobs/rpl-adapter}; IT=${2:-40}
cd "$(dirname "$0")"; mkdir -p rep
sig(){ timeout 60 "$B" apply --as-of 2026-11-02 "$@" 2>rep/e >rep/o; echo "$? $(md5sum <rep/o|cut -c1-8) $(md5sum <rep/e|cut -c1-8)"; }
bad=0; total=0
for c in "--input-format ndjson in/bad.ndjson" "--input-format ndjson in/ordinary.ndjson" "in/variant0.json in/variant0.xml in/missing.json in/adir in/p1.json in/garbage.json in/p3.json"; do
  ref=$(sig --jobs 1 $c)
  for i in $(seq 1 $IT); do for j in 2 3 4 8; do
    total=$((total+1)); s=$(sig --jobs $j $c); [ "$s" != "$ref" ] && { bad=$((bad+1)); echo "DIFF [$c] jobs=$j iter=$i: $s vs $ref"; }
  done; done
done
echo "repeat: $total runs, $bad differ"
