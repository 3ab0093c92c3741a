package ceremony

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

var (
	benchOnce sync.Once
	benchCer  *Ceremony
	benchErr  error
)

// benchCeremony is a 3-of-5 ceremony at the production parameters, run once.
func benchCeremony(b *testing.B) *Ceremony {
	b.Helper()
	benchOnce.Do(func() {
		benchCer, benchErr = Run(params.MustNamed(params.N14T58), 5, 3, [32]byte{7})
	})
	require.NoError(b, benchErr)
	return benchCer
}

// BenchmarkContributeN14T58Of5 is one holder's ceremony round at production parameters
// with 5 holders: key share, public-key share, 14 rotation-key shares, 5 sealed Shamir
// shares.
func BenchmarkContributeN14T58Of5(b *testing.B) {
	c := benchCeremony(b)
	var size int
	b.ResetTimer()
	for range b.N {
		m, err := Contribute(c.Setup, 1)
		if err != nil {
			b.Fatal(err)
		}
		size = len(m)
	}
	b.ReportMetric(float64(size), "message-bytes")
}

// BenchmarkFinalizeN14T58Of5 is one holder's last step: open and sum its 5 Shamir shares.
func BenchmarkFinalizeN14T58Of5(b *testing.B) {
	c := benchCeremony(b)
	msgs := parseAllB(b, c)
	b.ResetTimer()
	for range b.N {
		if _, err := Finalize(c.Setup, 2, msgs, c.Transport[1]); err != nil {
			b.Fatal(err)
		}
	}
	tk, _ := c.ThresholdKeys[0].MarshalBinary()
	b.ReportMetric(float64(len(tk)), "threshold-key-bytes")
}

// BenchmarkParseMessageN14T58Of5 is the strict decoding of one round message, digest
// check included.
func BenchmarkParseMessageN14T58Of5(b *testing.B) {
	c := benchCeremony(b)
	d := codec.Digest(c.Messages[0])
	b.SetBytes(int64(len(c.Messages[0])))
	b.ResetTimer()
	for range b.N {
		if _, err := ParseMessage(c.Setup, c.Messages[0], &d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAggregateN14T58Of5 computes the public outputs from the 5 round messages,
// and reports their encoded sizes.
func BenchmarkAggregateN14T58Of5(b *testing.B) {
	c := benchCeremony(b)
	msgs := parseAllB(b, c)
	b.ResetTimer()
	for range b.N {
		if _, err := Aggregate(c.Setup, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	set := params.MustNamed(params.N14T58)
	pk, err := EncodePublicKey(set, codec.KindPublicKey, c.Setup.Digest(), c.PublicKey)
	require.NoError(b, err)
	gk, err := EncodeGaloisKeys(set, c.Setup.Digest(), c.EvaluationKeys)
	require.NoError(b, err)
	b.ReportMetric(float64(len(pk)), "public-key-bytes")
	b.ReportMetric(float64(len(gk)), "rotation-keys-bytes")
}

func parseAllB(b *testing.B, c *Ceremony) []*Message {
	msgs := make([]*Message, len(c.Messages))
	for i, m := range c.Messages {
		var err error
		msgs[i], err = ParseMessage(c.Setup, m, nil)
		require.NoError(b, err)
	}
	return msgs
}
