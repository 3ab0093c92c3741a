#!/usr/bin/env bash
# The statledger demo (`make demo`): the whole flow on the local Fabric network, each
# organisation acting through its own profile, exactly as its operators would.
#   1. the key holders run the key ceremony (t = 2 of 3; no one holds the whole key)
#   2. StatOffice registers the hospital-admissions dataset with its restriction policy
#   3. HospitalA (CSV) and HospitalB (FHIR NDJSON) encrypt and submit their data
#   4. StatOffice requests mean length of stay by region; both hospitals approve
#   5. StatOffice's worker computes on the ciphertexts and posts the result digest
#   6. the two decrypting key holders each add noise and contribute a decryption share
#   7. StatOffice decrypts, publishes the table and records the release
# Re-running it adds a new dataset and query on the same network.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/bin
S=$BIN/statledger
STATE=test-network/state/demo          # removed with the network's state (make network-down PURGE=1)
P=$STATE/profiles
RECORDS_A=${RECORDS_A:-300000}
RECORDS_B=${RECORDS_B:-30000}
export STATLEDGER_KEY_SHARE_IDENTITY_FILE=$PWD/$STATE/seal.identity

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# field NAME prints the first top-level string field NAME of the JSON on stdin.
field() { sed -n "s/^  \"$1\": \"\([^\"]*\)\".*/\1/p" | head -1; }
t0=$(date +%s%N)

step "profiles: one identity per organisation ($P)"
$BIN/fabnet profiles --dir "$P" --blobs "$STATE/blobs"

step "1. key ceremony: StatOffice, HospitalA and HospitalB each make a key share; t = 2 of 3"
$S --profile $P/statoffice.yaml consortium keygen local --key-id demo-key \
  --holder $P/statoffice.yaml --holder $P/hospitala.yaml --holder $P/hospitalb.yaml

step "2. StatOffice registers the dataset (policies/healthcare)"
D=admissions-$(date +%Y%m%d-%H%M%S)
$S --profile $P/statoffice.yaml dataset register --id "$D" --title "Hospital admissions 2026" --key demo-key \
  --schema policies/healthcare/schema.yaml --policy policies/healthcare/policy.yaml

step "3. the hospitals encrypt and submit their records (which never leave them)"
$S synth --records "$RECORDS_A" --seed 1 --provider HospitalA --out $STATE/hospital-a.csv
$S synth --records "$RECORDS_B" --seed 2 --provider HospitalB --format fhir-ndjson --out $STATE/hospital-b.ndjson
$S --profile $P/hospitala.yaml data submit --dataset "$D" --period 2026 --file $STATE/hospital-a.csv
$S --profile $P/hospitalb.yaml data submit --dataset "$D" --period 2026 --file $STATE/hospital-b.ndjson

step "4. StatOffice requests mean length of stay by region (epsilon 0.5); both hospitals approve"
Q=$($S --profile $P/statoffice.yaml -o json query request --dataset "$D" --period 2026 \
  --statistic mean --measure lengthOfStay --group-by region --epsilon 0.5 | field id)
echo "query $Q"
for org in hospitala hospitalb; do
  # An approver acts on what its own peer shows; wait until the query reached it.
  until $S --profile $P/$org.yaml query status "$Q" >/dev/null 2>&1; do sleep 0.2; done
  $S --profile $P/$org.yaml query approve "$Q" --reason "within the dataset policy" >/dev/null
  sleep 0.5
done
$S --profile $P/regulator.yaml query status "$Q"

step "5. StatOffice's worker evaluates the query on the ciphertexts"
$S --profile $P/statoffice.yaml worker run --once --dataset "$D" 2>$STATE/worker.log

step "6. the decryptors (HospitalA and HospitalB) check the ledger and contribute their shares"
for org in hospitala hospitalb; do
  until [ "$($S --profile $P/$org.yaml -o json query status "$Q" | field status)" = decrypting ]; do sleep 0.2; done
  $S --profile $P/$org.yaml decrypt share "$Q"
done

step "7. StatOffice decrypts and releases the table"
until [ "$($S --profile $P/statoffice.yaml -o json query status "$Q" | field status)" = ready ]; do sleep 0.2; done
$S --profile $P/statoffice.yaml query release "$Q" --format table
$S --profile $P/statoffice.yaml query release "$Q" --format sdmx-csv --out $STATE/release-$Q.csv 2>/dev/null
echo "SDMX-CSV: $STATE/release-$Q.csv"

step "the ledger's record of the query"
$S --profile $P/regulator.yaml query status "$Q"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
printf '\ndemo finished in %d.%03d s\n' $((ms / 1000)) $((ms % 1000))
