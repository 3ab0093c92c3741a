//go:build tools

// Package fabric pins the Hyperledger Fabric version whose commands statledger's local
// network runs. It is a separate module so that Fabric's dependency graph stays out of the
// product's go.mod; `make fabric` builds the commands from it.
package fabric

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/cryptogen"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)
