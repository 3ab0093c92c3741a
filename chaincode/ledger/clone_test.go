package ledger_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// The chaincode hands every transaction a clone of a remembered record, so a clone must
// share no memory with its original, whatever fields the record gains later: every field
// is filled, the clone's are all changed, and the original must not notice.
func TestClonesShareNoMemory(t *testing.T) {
	t.Run("consortium", func(t *testing.T) { requireIndependentClone(t, ledger.Consortium.Clone) })
	t.Run("dataset", func(t *testing.T) { requireIndependentClone(t, ledger.Dataset.Clone) })
}

func TestCloneKeepsEmptyListsEmpty(t *testing.T) {
	c := ledger.Consortium{Orgs: []ledger.Org{{Roles: []ledger.Role{}}}}
	require.Equal(t, c, c.Clone(), "an empty list stays empty, not nil (it encodes as [])")
	ds, _ := dataset(t)
	require.Equal(t, ds, ds.Clone())
}

func requireIndependentClone[T any](t *testing.T, clone func(T) T) {
	t.Helper()
	var original, want T
	fill(reflect.ValueOf(&original).Elem(), new(int))
	fill(reflect.ValueOf(&want).Elem(), new(int))
	c := clone(original)
	require.Equal(t, want, c)
	change(reflect.ValueOf(&c).Elem())
	require.NotEqual(t, want, c, "the test changed nothing")
	require.Equal(t, want, original, "changing the clone changed the original")
}

var timeType = reflect.TypeFor[time.Time]()

// fill gives every settable field of v a distinct value, lists two elements each.
func fill(v reflect.Value, n *int) {
	*n++
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.Unix(int64(*n), 0).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("v" + strconv.Itoa(*n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		v.SetMapIndex(k, e)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

// change changes every value reachable from v in place: elements of lists, maps and
// pointed-to values included.
func change(v reflect.Value) {
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		for i := range v.Len() {
			change(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			change(e)
			v.SetMapIndex(k, e)
		}
	case reflect.Pointer:
		change(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				change(v.Field(i))
			}
		}
	default:
		panic("change: no case for " + v.Type().String())
	}
}

func TestLiveIndexKeepsOneEntryPerProviderSortedAndCopies(t *testing.T) {
	entry := func(provider, id string) ledger.LiveSubmission {
		return ledger.LiveSubmission{SubmissionID: id, Provider: provider, DatasetID: "ds", Period: "2025", Digests: []string{digest(id)}}
	}
	var x ledger.LiveIndex
	_, ok := x.Of(hosA)
	require.False(t, ok)

	x = x.With(entry(hosB, "s-1"))
	x = x.With(entry(stat, "s-2"))
	x = x.With(entry(hosA, "s-3"))
	require.Equal(t, "ds", x.DatasetID)
	require.Equal(t, "2025", x.Period)
	require.Equal(t, []ledger.LiveSubmission{entry(hosA, "s-3"), entry(hosB, "s-1"), entry(stat, "s-2")}, x.Entries)

	before := x
	replaced := x.With(entry(hosB, "s-4"))
	got, ok := replaced.Of(hosB)
	require.True(t, ok)
	require.Equal(t, "s-4", got.SubmissionID)
	require.Len(t, replaced.Entries, 3, "a resubmission replaces its provider's entry")
	got, _ = before.Of(hosB)
	require.Equal(t, "s-1", got.SubmissionID, "With leaves the index it was called on alone")
}
