#!/usr/bin/env bash
# patch.sh OUT-DIR: copies the pinned Fabric module's source to OUT-DIR/src, patches it,
# and writes OUT-DIR/go.mod and go.sum: this module's, with Fabric replaced by the patched
# copy, for `go build -modfile OUT-DIR/go.mod` (the module cache itself is read-only).
#
# Two patches, each checked to apply exactly once:
#
# 1. Fabric's etcdraft chain, on start-up, replays the Raft log; for each
#    configuration-change entry it asked the node goroutine to sync the WAL through an
#    unbuffered channel while that goroutine could be blocked handing it the next
#    entries: a deadlock (hyperledger/fabric#4199, fixed upstream after the served
#    version). A restarted orderer then never serves its channel ("consenter error"),
#    which statledger's fault tests hit when they kill and restart an orderer. The
#    patched chain syncs the WAL itself (the WAL serialises its own writers).
#
# 2. Batched state calls for chaincode (peer/handler_batch.go; upstream in Fabric v3.1):
#    the peer offers them in its READY message and answers GET_STATE_MULTIPLE and
#    WRITE_BATCH_STATE, so a transaction's writes cost one peer round trip instead of one
#    per key, and several keys can be read in one. Each key or record goes through the
#    peer's own single-key handler. statledger's contract relies on it for its
#    throughput (`make bench`); a chaincode on an unpatched peer still works, one round
#    trip per call.
set -euo pipefail
cd "$(dirname "$0")"
out=$1
src=$(go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)
rm -rf "$out/src" && mkdir -p "$out" && cp -r "$src" "$out/src" && chmod -R u+w "$out/src"

# replace FILE OLD-LINE NEW-LINE...: replaces the one line of FILE equal to OLD-LINE with
# the NEW-LINEs; fails unless OLD-LINE occurs exactly once.
replace() {
  local file=$1 old=$2
  shift 2
  [ "$(grep -cxF -- "$old" "$file")" = 1 ] || {
    echo "patch.sh: expected exactly one line '$old' in $file; review the patches for this Fabric version" >&2
    exit 1
  }
  local new
  new=$(printf '%s\n' "$@")
  OLD=$old NEW=$new awk '$0 == ENVIRON["OLD"] { print ENVIRON["NEW"]; next } { print }' "$file" > "$file.new"
  mv "$file.new" "$file"
}

replace "$out/src/orderer/consensus/etcdraft/chain.go" \
  '			c.Node.storage.WALSyncC <- struct{}{}' \
  '			if err := c.Node.storage.Sync(); err != nil {' \
  '				c.logger.Warnf("Failed to sync raft log, error: %s", err)' \
  '			}'

handler=$out/src/core/chaincode/handler.go
cp peer/handler_batch.go "$out/src/core/chaincode/handler_batch.go"
replace "$handler" \
  '		go h.HandleTransaction(msg, h.HandlePurgePrivateData)' \
  '		go h.HandleTransaction(msg, h.HandlePurgePrivateData)' \
  '	case msgGetStateMultiple:' \
  '		go h.HandleTransaction(msg, h.HandleGetStateMultiple)' \
  '	case msgWriteBatchState:' \
  '		go h.HandleTransaction(msg, h.HandleWriteBatchState)'
replace "$handler" \
  '	ccMsg := &pb.ChaincodeMessage{Type: pb.ChaincodeMessage_READY}' \
  '	ccMsg := &pb.ChaincodeMessage{Type: pb.ChaincodeMessage_READY, Payload: batchParams()}'

{ cat go.mod; printf '\nreplace github.com/hyperledger/fabric => %s\n' "$(cd "$out/src" && pwd)"; } > "$out/go.mod"
cp go.sum "$out/go.sum"
