package supplychain

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// The digest algorithms paved computes and checks.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalidDigest: a digest or digest set that is malformed or uses an
	// algorithm paved cannot check.
	ErrInvalidDigest = errors.New("supplychain: invalid digest")
	// ErrInvalidSubject: a subject without a name.
	ErrInvalidSubject = errors.New("supplychain: invalid subject")
)

// hexLen is the hex length of each supported algorithm's digest.
var hexLen = map[string]int{SHA256: 64, SHA512: 128}

func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("%w: unsupported algorithm %q (want sha256 or sha512)", ErrInvalidDigest, alg)
}

// Digest is one algorithm's digest of an artifact, in lowercase hex.
type Digest struct {
	Algorithm string
	Hex       string
}

// ParseDigest parses "sha256:<64 hex>" or "sha512:<128 hex>". Upper-case
// hex is rejected so that a digest has exactly one spelling.
func ParseDigest(s string) (Digest, error) {
	alg, h, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, fmt.Errorf("%w: %q has no algorithm prefix (such as \"sha256:\")", ErrInvalidDigest, s)
	}
	d := Digest{Algorithm: alg, Hex: h}
	if err := d.Validate(); err != nil {
		return Digest{}, err
	}
	return d, nil
}

// Validate checks that the algorithm is supported and the hex has its
// length and is lowercase.
func (d Digest) Validate() error {
	n, ok := hexLen[d.Algorithm]
	if !ok {
		return fmt.Errorf("%w: unsupported algorithm %q (want sha256 or sha512)", ErrInvalidDigest, d.Algorithm)
	}
	if len(d.Hex) != n {
		return fmt.Errorf("%w: %s digest has %d hex characters, want %d", ErrInvalidDigest, d.Algorithm, len(d.Hex), n)
	}
	for _, c := range d.Hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: %s digest has %q, want lowercase hex", ErrInvalidDigest, d.Algorithm, c)
		}
	}
	return nil
}

// String formats the digest as "algorithm:hex".
func (d Digest) String() string { return d.Algorithm + ":" + d.Hex }

// DigestSet maps algorithm names to lowercase hex digests of one artifact,
// the shape of an in-toto ResourceDescriptor's digest.
type DigestSet map[string]string

// Validate checks a set: it is not empty, every sha256 and sha512 digest is
// well formed, and every other algorithm (such as in-toto's gitCommit) has a
// non-empty value. Digests under other algorithms are kept but never
// trusted: Matches compares only shared algorithms.
func (s DigestSet) Validate() error {
	if len(s) == 0 {
		return fmt.Errorf("%w: empty digest set", ErrInvalidDigest)
	}
	for _, alg := range slices.Sorted(maps.Keys(s)) {
		if _, known := hexLen[alg]; !known {
			if alg == "" || s[alg] == "" {
				return fmt.Errorf("%w: empty algorithm or value in %q: %q", ErrInvalidDigest, alg, s[alg])
			}
			continue
		}
		if err := (Digest{Algorithm: alg, Hex: s[alg]}).Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Matches reports whether two sets describe the same artifact: they share at
// least one algorithm, and agree on every algorithm they share.
func (s DigestSet) Matches(other DigestSet) bool {
	shared := false
	for alg, h := range s {
		if o, ok := other[alg]; ok {
			if o != h {
				return false
			}
			shared = true
		}
	}
	return shared
}

// Digests returns the set's digests sorted by algorithm.
func (s DigestSet) Digests() []Digest {
	out := make([]Digest, 0, len(s))
	for _, alg := range slices.Sorted(maps.Keys(s)) {
		out = append(out, Digest{Algorithm: alg, Hex: s[alg]})
	}
	return out
}

// DigestReader reads r to its end once and returns its digest under each
// algorithm (sha256 when none is given). It streams: memory use does not
// grow with the input.
func DigestReader(r io.Reader, algs ...string) (DigestSet, error) {
	if len(algs) == 0 {
		algs = []string{SHA256}
	}
	hashes := make([]hash.Hash, len(algs))
	writers := make([]io.Writer, len(algs))
	for i, alg := range algs {
		h, err := newHash(alg)
		if err != nil {
			return nil, err
		}
		hashes[i], writers[i] = h, h
	}
	if _, err := io.Copy(io.MultiWriter(writers...), r); err != nil {
		return nil, fmt.Errorf("supplychain: digest: %w", err)
	}
	set := make(DigestSet, len(algs))
	for i, alg := range algs {
		set[alg] = hex.EncodeToString(hashes[i].Sum(nil))
	}
	return set, nil
}

// DigestFile returns the digests of the file at path, as DigestReader does.
func DigestFile(path string, algs ...string) (DigestSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("supplychain: digest: %w", err)
	}
	defer f.Close()
	return DigestReader(f, algs...)
}

// Subject is an artifact named by its digests: the subject of an in-toto
// statement.
type Subject struct {
	// Name identifies the artifact, for example a file name or an image
	// reference.
	Name string `json:"name"`
	// Digest holds one or more digests of the artifact.
	Digest DigestSet `json:"digest"`
	// URI optionally locates the artifact.
	URI string `json:"uri,omitempty"`
	// PURL optionally gives the artifact's package URL.
	PURL string `json:"purl,omitempty"`
}

// SubjectFromFile returns a subject called name for the file at path, with
// the file's sha256 digest.
func SubjectFromFile(name, path string) (Subject, error) {
	set, err := DigestFile(path)
	if err != nil {
		return Subject{}, err
	}
	return Subject{Name: name, Digest: set}, nil
}

// Validate checks that the subject has a name and a valid digest set.
func (s Subject) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidSubject)
	}
	if err := s.Digest.Validate(); err != nil {
		return fmt.Errorf("%w (subject %q)", err, s.Name)
	}
	return nil
}
