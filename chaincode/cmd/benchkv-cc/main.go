// Command benchkv-cc runs a bare key-value chaincode as a service: Put(key, value) reads
// one key and writes it (the get and put of a read-modify-write, the least a contract
// transaction does) and Get(key) reads it, with no access control, validation or events.
// It exists only as the baseline that `make bench` measures the statledger contract
// against on the same network; the test network deploys it on request, never by default.
// It is configured from the environment like statledger-cc (see package ccserver).
package main

import (
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/statledger/statledger/chaincode/ccserver"
)

// kv is the bare chaincode.
type kv struct{}

func (kv) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (kv) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "Put" && len(args) == 2:
		if _, err := stub.GetState(args[0]); err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case fn == "Get" && len(args) == 1:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	}
	return shim.Error("INVALID: call Put(key, value) or Get(key)")
}

func main() { ccserver.Main(kv{}) }
