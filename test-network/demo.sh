#!/usr/bin/env bash
# The statledger demo (`make demo`): the whole flow on the local Fabric network, each
# organisation acting through its own profile, exactly as its operators would.
#   1. the key holders run the key ceremony (t = 2 of 3; no one holds the whole key)
#   2. StatOffice registers the hospital-admissions dataset with its restriction policy
#   3. HospitalA (CSV) and HospitalB (FHIR NDJSON and CSV) encrypt and submit their data,
#      two half-years each
#   4. for each of four queries: StatOffice requests it, both hospitals approve, a worker
#      computes on the ciphertexts, the two decryptors add noise and contribute their
#      shares, StatOffice decrypts, publishes the table (and SDMX-CSV) and records the
#      release; the released figures are shown next to the plaintext truth, which only
#      a demo that holds every provider's records can compute
#   5. the Regulator audits every query of the dataset; a failing audit fails the demo
# Re-running it adds a new dataset and new queries on the same network.
# FABNET_DEFINITION and FABNET_STATE name the network (fabnet's --definition and --state;
# by default the network of `make network-up`).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/bin
S=$BIN/statledger
FABNET_DEFINITION=${FABNET_DEFINITION:-network/consortium.yaml}
FABNET_STATE=${FABNET_STATE:-test-network/state}
FABNET=("$BIN/fabnet" --definition "$FABNET_DEFINITION" --state "$FABNET_STATE")
STATE=$FABNET_STATE/demo               # removed with the network's state (make network-down PURGE=1)
P=$STATE/profiles
RECORDS=${RECORDS:-150000}             # per submission (the policy allows 150,000)
export STATLEDGER_KEY_SHARE_IDENTITY_FILE=$PWD/$STATE/seal.identity

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# field NAME prints the first top-level string field NAME of the JSON on stdin.
field() { sed -n "s/^  \"$1\": \"\([^\"]*\)\".*/\1/p" | head -1; }
now() { date +%s%N; }
TIMINGS=()
# timed LABEL COMMAND...: run a step and remember how long it took.
timed() {
  local label=$1 t; shift; t=$(now)
  "$@"
  TIMINGS+=("$(printf '%-64s %7.2f s' "$label" "$(( ($(now) - t) / 1000000 ))e-3")")
}
status() { $S --profile $P/$1.yaml -o json query status "$2" 2>/dev/null | field status; }
# until_status ORG QUERY STATUS: wait until ORG's own peer shows the query in STATUS.
until_status() { until [ "$(status "$1" "$2")" = "$3" ]; do sleep 0.1; done; }
t0=$(now)

bold "== profiles: one identity per organisation ($P)"
"${FABNET[@]}" profiles --dir "$P" --blobs "$STATE/blobs"

bold "== 1. key ceremony: StatOffice, HospitalA and HospitalB each make a key share; t = 2 of 3"
timed "key ceremony (3 holders, N14T58)" $S --profile $P/statoffice.yaml consortium keygen local --key-id demo-key \
  --holder $P/statoffice.yaml --holder $P/hospitala.yaml --holder $P/hospitalb.yaml

bold "== 2. StatOffice registers the dataset (policies/healthcare)"
D=admissions-$(date +%Y%m%d-%H%M%S)
timed "register dataset" $S --profile $P/statoffice.yaml dataset register --id "$D" --title "Hospital admissions 2026" \
  --key demo-key --schema policies/healthcare/schema.yaml --policy policies/healthcare/policy.yaml

bold "== 3. the hospitals encrypt and submit their records (which never leave them)"
FILES=()
for spec in "HospitalA 2026-H1 csv 11" "HospitalA 2026-H2 csv 12" "HospitalB 2026-H1 fhir-ndjson 21" "HospitalB 2026-H2 csv 22"; do
  read -r org period format seed <<<"$spec"
  ext=${format/fhir-ndjson/ndjson}
  file=$STATE/${org,,}-$period.$ext
  $S synth --records "$RECORDS" --seed "$seed" --provider "$org" --format "$format" --out "$file"
  timed "submit $org $period ($RECORDS records, $format)" $S --profile $P/${org,,}.yaml data submit --dataset "$D" --period "$period" --file "$file"
  FILES+=(--file "$file")
done
until [ "$($S --profile $P/statoffice.yaml -o json dataset list | grep -c "\"id\": \"$D\"")" = 1 ]; do sleep 0.1; done

# query NAME FLAGS...: the whole life of one query, from request to release.
query() {
  local name=$1; shift
  bold "== 4. $name"
  local t q
  t=$(now)
  q=$($S --profile $P/statoffice.yaml -o json query request --dataset "$D" "$@" | field id)
  echo "query $q requested by StatOffice"
  for org in hospitala hospitalb; do
    until_status $org "$q" pending
    $S --profile $P/$org.yaml query approve "$q" --reason "within the dataset policy" >/dev/null
    echo "approved by $org"
  done
  until_status statoffice "$q" approved
  $S --profile $P/statoffice.yaml worker run --once --dataset "$D" >/dev/null 2>>$STATE/worker.log
  echo "computed on the ciphertexts by StatOffice's worker"
  for org in hospitala hospitalb; do
    until_status $org "$q" decrypting
    $S --profile $P/$org.yaml decrypt share "$q" >/dev/null
    echo "decryption share from $org"
  done
  until_status statoffice "$q" ready
  $S --profile $P/statoffice.yaml query release "$q" --format table 2>/dev/null
  $S --profile $P/statoffice.yaml query release "$q" --format sdmx-csv --out "$STATE/release-$q.csv"
  TIMINGS+=("$(printf '%-64s %7.2f s' "query: $name (request to release)" "$(( ($(now) - t) / 1000000 ))e-3")")
  echo; echo "released next to the plaintext truth (SDMX-CSV: $STATE/release-$q.csv):"
  until_status regulator "$q" released
  "${FABNET[@]}" truth "$q" "${FILES[@]}"
}

query "count by region x age band"           --statistic count --group-by region,ageBand --epsilon 0.5
query "mean length of stay by region"         --statistic mean --measure lengthOfStay --group-by region --epsilon 0.5
query "variance of length of stay by sex"     --statistic variance --measure lengthOfStay --group-by sex --epsilon 0.5
query "histogram of length of stay by sex"    --statistic histogram --measure lengthOfStay --group-by sex --epsilon 0.5

bold "== 5. the Regulator audits every query of the dataset: policy, approvals, budget, inputs, re-executed computation, shares, release"
verdict=passed; t=$(now)
$S --profile $P/regulator.yaml audit --dataset "$D" || verdict=FAILED
TIMINGS+=("$(printf '%-64s %7.2f s' "audit of the dataset (4 queries re-executed)" "$(( ($(now) - t) / 1000000 ))e-3")")

bold "== summary"
printf '%s\n' "${TIMINGS[@]}"
$S --profile $P/regulator.yaml dataset list | grep -E "DATASET|$D"
ms=$(( ($(now) - t0) / 1000000 ))
printf '\ndemo finished in %d.%03d s; the audit %s\n' $((ms / 1000)) $((ms % 1000)) "$verdict"
[ "$verdict" = passed ]
