package ledger_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

func TestConsortiumCloneSharesNoMemory(t *testing.T) {
	c := consortium()
	clone := c.Clone()
	require.Equal(t, c, clone)
	clone.Orgs[0].Roles[0] = ledger.RoleAuditor
	clone.Orgs[1].MSPID = "OtherMSP"
	clone.Orgs = append(clone.Orgs[:1], clone.Orgs[2:]...)
	require.Equal(t, consortium(), c, "changing the clone changed the original")

	empty := ledger.Consortium{Orgs: []ledger.Org{{Roles: []ledger.Role{}}}}
	require.Equal(t, empty, empty.Clone(), "an empty list stays empty, not nil (it encodes as [])")
}

// Clone copies the slices it knows of. A new field that holds memory (a slice, map or
// pointer) must be copied there too; this test names it first.
func TestConsortiumCloneKnowsEveryFieldThatHoldsMemory(t *testing.T) {
	cloned := map[string]bool{"Consortium.Orgs": true, "Org.Roles": true}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := typ.Name() + "." + f.Name
			switch f.Type.Kind() {
			case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Array, reflect.Chan, reflect.Func:
				require.True(t, cloned[name], "%s holds memory that Consortium.Clone does not copy", name)
				if elem := f.Type.Elem(); elem.Kind() == reflect.Struct {
					walk(elem)
				}
			case reflect.Struct:
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[ledger.Consortium]())
}
