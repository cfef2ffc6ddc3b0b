#!/bin/sh
# Replays every request file against a running `rpl-adapter serve`.
# usage: replay.sh [BASE_URL] [OUTDIR]   (default http://127.0.0.1:18601, ./out)
# Writes OUTDIR/<file>.status, OUTDIR/<file>.body. Each curl is bounded by --max-time 20.
B=${1:-http://127.0.0.1:18601}; O=${2:-out}; D=$(dirname "$0"); mkdir -p "$O"
CARD=$(curl -s --max-time 5 "$B/fhir/metadata" | python3 -c 'import json,sys; print("http://example.org/rpl")' 2>/dev/null)
post() { # file url content-type
  curl -s --max-time 20 -o "$O/$(basename $1).body" -w '%{http_code} %{time_total}\n' -X POST -H "Content-Type: $3" --data-binary @"$1" "$B$2" > "$O/$(basename $1).status"
}
for f in "$D"/pv-*.json "$D"/h-*.json "$D"/h-garbage.bin; do post "$f" /cds-services/rpl-patient-view application/json; done
for f in "$D"/os-*.json; do post "$f" /cds-services/rpl-order-sign application/json; done
for f in "$D"/osel-*.json; do post "$f" /cds-services/rpl-order-select application/json; done
post "$D/apply-params.json" '/fhir/PlanDefinition/rpl-card/$apply' application/fhir+json
post "$D/apply-params-badsubject.json" '/fhir/PlanDefinition/rpl-card/$apply' application/fhir+json
post "$D/apply-params-twosubjects.json" '/fhir/PlanDefinition/rpl-card/$apply' application/fhir+json
post "$D/apply-params-typelevel.json" '/fhir/PlanDefinition/$apply' application/fhir+json
post "$D/bundle-base.json" '/fhir/$rpl-transaction' application/fhir+json
for f in "$D"/*.xml; do [ -f "$f" ] && post "$f" '/fhir/$rpl-transaction' application/fhir+xml; done
grep -H . "$O"/*.status
# second batch (gen2.py)
for f in "$D"/pv2-*.json "$D"/h2-*.json; do post "$f" /cds-services/rpl-patient-view application/json; done
for f in "$D"/os2-*.json; do post "$f" /cds-services/rpl-order-sign application/json; done
for f in "$D"/osel2-*.json; do post "$f" /cds-services/rpl-order-select application/json; done
