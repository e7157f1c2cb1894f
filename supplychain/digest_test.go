package supplychain_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain"
)

func sum256(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func sum512(s string) string { h := sha512.Sum512([]byte(s)); return hex.EncodeToString(h[:]) }

func TestParseDigest(t *testing.T) {
	good := "sha256:" + sum256("x")
	d, err := supplychain.ParseDigest(good)
	require.NoError(t, err)
	assert.Equal(t, supplychain.Digest{Algorithm: "sha256", Hex: sum256("x")}, d)
	assert.Equal(t, good, d.String())

	d, err = supplychain.ParseDigest("sha512:" + sum512("x"))
	require.NoError(t, err)
	assert.Equal(t, supplychain.SHA512, d.Algorithm)

	for _, bad := range []string{
		"", sum256("x"), "sha256:", "sha256:abc", "md5:" + sum256("x")[:32],
		"sha256:" + strings.ToUpper(sum256("x")), "sha256:" + sum256("x")[:63] + "g",
		"sha512:" + sum256("x"), "SHA256:" + sum256("x"),
	} {
		_, err := supplychain.ParseDigest(bad)
		assert.ErrorIs(t, err, supplychain.ErrInvalidDigest, bad)
	}
}

func TestDigestReaderAndFile(t *testing.T) {
	set, err := supplychain.DigestReader(strings.NewReader("hello"), supplychain.SHA256, supplychain.SHA512)
	require.NoError(t, err)
	assert.Equal(t, supplychain.DigestSet{"sha256": sum256("hello"), "sha512": sum512("hello")}, set)
	require.NoError(t, set.Validate())

	set, err = supplychain.DigestReader(strings.NewReader("hello"))
	require.NoError(t, err)
	assert.Equal(t, supplychain.DigestSet{"sha256": sum256("hello")}, set, "sha256 by default")

	_, err = supplychain.DigestReader(strings.NewReader("hello"), "md5")
	assert.ErrorIs(t, err, supplychain.ErrInvalidDigest)

	path := filepath.Join(t.TempDir(), "artifact.bin")
	require.NoError(t, os.WriteFile(path, []byte("hello"), 0o600))
	s, err := supplychain.SubjectFromFile("artifact.bin", path)
	require.NoError(t, err)
	assert.Equal(t, supplychain.Subject{Name: "artifact.bin", Digest: supplychain.DigestSet{"sha256": sum256("hello")}}, s)
	require.NoError(t, s.Validate())

	_, err = supplychain.DigestFile(filepath.Join(t.TempDir(), "absent"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestDigestSet(t *testing.T) {
	a := supplychain.DigestSet{"sha256": sum256("a"), "sha512": sum512("a")}
	assert.True(t, a.Matches(supplychain.DigestSet{"sha256": sum256("a")}))
	assert.False(t, a.Matches(supplychain.DigestSet{"sha256": sum256("b")}))
	assert.False(t, a.Matches(supplychain.DigestSet{"sha256": sum256("a"), "sha512": sum512("b")}), "every shared algorithm must agree")
	assert.False(t, a.Matches(supplychain.DigestSet{"gitCommit": "abc"}), "nothing shared")
	assert.False(t, supplychain.DigestSet{}.Matches(supplychain.DigestSet{}))

	assert.Equal(t, []supplychain.Digest{{Algorithm: "sha256", Hex: sum256("a")}, {Algorithm: "sha512", Hex: sum512("a")}}, a.Digests())

	assert.NoError(t, supplychain.DigestSet{"gitCommit": "0123abcd"}.Validate(), "foreign algorithms are kept")
	assert.ErrorIs(t, supplychain.DigestSet{}.Validate(), supplychain.ErrInvalidDigest)
	assert.ErrorIs(t, supplychain.DigestSet{"sha256": "abc"}.Validate(), supplychain.ErrInvalidDigest)
	assert.ErrorIs(t, supplychain.DigestSet{"gitCommit": ""}.Validate(), supplychain.ErrInvalidDigest)

	assert.ErrorIs(t, supplychain.Subject{Digest: a}.Validate(), supplychain.ErrInvalidSubject)
	assert.ErrorIs(t, supplychain.Subject{Name: "x"}.Validate(), supplychain.ErrInvalidDigest)
}

func ExampleParseDigest() {
	d, err := supplychain.ParseDigest("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
	if err != nil {
		fmt.Println(err)
		return
	}
	set := supplychain.DigestSet{d.Algorithm: d.Hex}
	fmt.Println(d.Algorithm, set.Matches(supplychain.DigestSet{"sha256": d.Hex}))
	// Output: sha256 true
}

// FuzzParseDigest: a digest that parses formats back to the same string
// and validates.
func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + sum256("x"))
	f.Add("sha256:")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := supplychain.ParseDigest(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("round trip: %q became %q", s, d.String())
		}
		if err := (supplychain.DigestSet{d.Algorithm: d.Hex}).Validate(); err != nil {
			t.Fatal(err)
		}
	})
}
