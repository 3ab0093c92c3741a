package contract

import (
	"reflect"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/stretchr/testify/require"
)

func TestStringSerializerPassesStringsThrough(t *testing.T) {
	s := new(stringSerializer)
	arg := `{"not":"checked here", "bytes": "\u0000"}`
	v, err := s.FromString(arg, reflect.TypeOf(""), &metadata.ParameterMetadata{Name: "request"}, nil)
	require.NoError(t, err)
	require.Equal(t, arg, v.Interface())
	out, err := s.ToString(reflect.ValueOf(arg), reflect.TypeOf(""), &metadata.ReturnMetadata{}, nil)
	require.NoError(t, err)
	require.Equal(t, arg, out)
}

// Other types get the contract API's own conversion and its errors.
func TestStringSerializerLeavesOtherTypesToTheDefault(t *testing.T) {
	s := new(stringSerializer)
	v, err := s.FromString("42", reflect.TypeOf(0), nil, nil)
	require.NoError(t, err)
	require.Equal(t, 42, v.Interface())
	_, err = s.FromString("forty-two", reflect.TypeOf(0), nil, nil)
	require.Error(t, err)
	out, err := s.ToString(reflect.ValueOf([]int{1, 2}), reflect.TypeOf([]int{}), nil, nil)
	require.NoError(t, err)
	require.Equal(t, "[1,2]", out)
}
