#!/bin/bash
# usage: cmp.sh FILE [convert|apply] : runs both binaries, compares stdout, stderr, exit code
f=$1; m=${2:-convert}; d=$(mktemp -d)
if [ "$m" = convert ]; then args="convert --to json"; else args="apply --as-of 2026-11-02"; fi
timeout 20 /tmp/bins/rpl-adapter-old $args "$f" >$d/o.out 2>$d/o.err; ro=$?
timeout 20 /tmp/bins/rpl-adapter-new $args "$f" >$d/n.out 2>$d/n.err; rn=$?
if cmp -s $d/o.out $d/n.out && cmp -s $d/o.err $d/n.err && [ $ro = $rn ]; then echo "SAME rc=$ro"
else echo "DIFF old rc=$ro new rc=$rn"
  for x in o n; do echo "--$x stdout:"; head -c 600 $d/$x.out; echo; echo "--$x stderr:"; head -c 300 $d/$x.err; done; fi
rm -rf $d
