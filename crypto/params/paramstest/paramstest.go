// Package paramstest gives tests one key pair and its rotation keys under the insecure
// test parameter set, generated once per test binary (key generation takes a while).
// Never use it outside tests: the parameters are not secure.
package paramstest

import (
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/params"
)

// Set is the insecure parameter set the keys belong to.
var Set = params.MustNamed(params.InsecureN11T58)

var (
	once sync.Once
	sk   *rlwe.SecretKey
	pk   *rlwe.PublicKey
	evk  *rlwe.MemEvaluationKeySet
)

// Keys returns the secret key, the public key and the rotation keys of every Galois
// element Set needs; the same ones on every call.
func Keys() (*rlwe.SecretKey, *rlwe.PublicKey, *rlwe.MemEvaluationKeySet) {
	once.Do(func() {
		kg := rlwe.NewKeyGenerator(Set.RLWE())
		sk, pk = kg.GenKeyPairNew()
		evk = rlwe.NewMemEvaluationKeySet(nil, kg.GenGaloisKeysNew(Set.GaloisElements(), sk)...)
	})
	return sk, pk, evk
}
