#!/usr/bin/env bash
# patch.sh OUT-DIR: copies the pinned Fabric module's source to OUT-DIR/src, patches it,
# and writes OUT-DIR/go.mod and go.sum: this module's, with Fabric replaced by the patched
# copy, for `go build -modfile OUT-DIR/go.mod` (the module cache itself is read-only).
#
# The one patch: Fabric's etcdraft chain, on start-up, replays the Raft log; for each
# configuration-change entry it asked the node goroutine to sync the WAL through an
# unbuffered channel while that goroutine could be blocked handing it the next entries:
# a deadlock (hyperledger/fabric#4199, fixed upstream after the served version). A
# restarted orderer then never serves its channel ("consenter error"), which statledger's
# fault tests hit when they kill and restart an orderer. The patched chain syncs the WAL
# itself (the WAL serialises its own writers).
set -euo pipefail
cd "$(dirname "$0")"
out=$1
src=$(go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)
rm -rf "$out/src" && mkdir -p "$out" && cp -r "$src" "$out/src" && chmod -R u+w "$out/src"
chain=$out/src/orderer/consensus/etcdraft/chain.go
old='			c.Node.storage.WALSyncC <- struct{}{}'
[ "$(grep -cxF "$old" "$chain")" = 1 ] || { echo "patch.sh: the etcdraft WAL-sync line is not in $chain; review the patch for this Fabric version" >&2; exit 1; }
awk -v old="$old" '$0 == old {
  print "\t\t\tif err := c.Node.storage.Sync(); err != nil {"
  print "\t\t\t\tc.logger.Warnf(\"Failed to sync raft log, error: %s\", err)"
  print "\t\t\t}"
  next
} { print }' "$chain" > "$chain.new" && mv "$chain.new" "$chain"
{ cat go.mod; printf '\nreplace github.com/hyperledger/fabric => %s\n' "$(cd "$out/src" && pwd)"; } > "$out/go.mod"
cp go.sum "$out/go.sum"
