#!/bin/sh
# time and peak memory of both builds on the large inputs (one binary at a time), and output comparison
cd /tmp/share-trial/large || exit 1
for f in *.json; do
  for v in apply convert; do
    for b in before after; do
      if [ $v = apply ]; then a="apply --as-of 2026-11-02 $f"; else a="convert --to xml $f"; fi
      /usr/bin/time -f "%M %e" -o ../runs/time.$b timeout 120 ../bin/rpl-adapter-$b $a > ../runs/out.$b 2> ../runs/err.$b
      echo $? > ../runs/rc.$b
    done
    same=same; cmp -s ../runs/out.before ../runs/out.after || same=DIFF-OUT; cmp -s ../runs/err.before ../runs/err.after || same="$same DIFF-ERR"; cmp -s ../runs/rc.before ../runs/rc.after || same="$same DIFF-RC"
    echo "$f $v rc=$(cat ../runs/rc.before)/$(cat ../runs/rc.after) before=$(cat ../runs/time.before | tail -1) after=$(cat ../runs/time.after | tail -1) (KB s) $same"
  done
done
