package contract

import (
	"reflect"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"
)

// stringSerializer hands the contract's string arguments and results through unchanged.
// Every transaction takes strings and returns a string (JSON that the gate and the
// ledger.Decode functions check themselves), so the contract API's default serializer
// would only validate each against the JSON schema {"type": "string"}, which checks
// nothing and, through gojsonschema, costs about a quarter of an endorsement's CPU (see
// bench_test.go). Other types get the default serializer.
type stringSerializer struct {
	serializer.JSONSerializer
}

// FromString implements serializer.TransactionSerializer.
func (s *stringSerializer) FromString(param string, t reflect.Type, pm *metadata.ParameterMetadata, cm *metadata.ComponentMetadata) (reflect.Value, error) {
	if t.Kind() == reflect.String {
		return reflect.ValueOf(param).Convert(t), nil
	}
	return s.JSONSerializer.FromString(param, t, pm, cm)
}

// ToString implements serializer.TransactionSerializer.
func (s *stringSerializer) ToString(v reflect.Value, t reflect.Type, rm *metadata.ReturnMetadata, cm *metadata.ComponentMetadata) (string, error) {
	if t.Kind() == reflect.String {
		return v.String(), nil
	}
	return s.JSONSerializer.ToString(v, t, rm, cm)
}
