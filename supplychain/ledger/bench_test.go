package ledger_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
)

// BenchmarkContaining asks which of 30 releases (three services, ten
// versions each, each SBOM of 1,000 Maven components) contain log4j-core
// below 2.17.1, from a SQLite store. The floor beside it decodes the same
// 30 SBOM documents from memory with sbom.Decode, without the store.
func BenchmarkContaining(b *testing.B) {
	f := newFixture(b)
	var docs [][]byte
	for s, service := range []string{"checkout", "billing", "search"} {
		for v := range 10 {
			deps := map[string]string{"org.apache.logging.log4j:log4j-core": fmt.Sprintf("2.%d.0", 10+v)}
			for i := range 999 {
				deps[fmt.Sprintf("com.example.lib%d:artifact%d", i%40, i)] = fmt.Sprintf("1.%d.%d", v, i%7)
			}
			doc := cyclonedx(b, service, fmt.Sprintf("1.%d.0", v), deps)
			docs = append(docs, doc)
			f.release(b, service, fmt.Sprintf("1.%d.0", v), doc, t0.Add(time.Duration(s*10+v)*time.Hour))
		}
	}
	below, err := ledger.ParseRange("<2.17.1")
	require.NoError(b, err)
	b.Run("ledger", func(b *testing.B) {
		for b.Loop() {
			rep, err := f.ledger.Containing(f.ctx, log4j, below)
			require.NoError(b, err)
			require.Equal(b, 3*8, len(rep.Shipped), "log4j-core 2.10.0 to 2.17.0 in each service")
		}
	})
	b.Run("decode-floor", func(b *testing.B) {
		for b.Loop() {
			for _, doc := range docs {
				_, err := sbom.Decode(bytes.NewReader(doc))
				require.NoError(b, err)
			}
		}
	})
}
