package sigstore_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// statement returns an in-toto statement about one artifact.
func statement(artifact []byte) []byte {
	sum := sha256.Sum256(artifact)
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar.gz","digest":{"sha256":"%x"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/build"}}}`, sum)
}

// packBundle turns an entity of sigstore-go's virtual sigstore (an
// in-process Fulcio, Rekor and timestamp authority) into the JSON of a
// bundle of the given version ("v0.1", "v0.2" or "v0.3"), the form that
// Verifier.Verify reads. The virtual sigstore keeps its log entry's
// signed entry timestamp to itself, so it is signed again here with the
// virtual log's key; v0.2 and later also get an inclusion proof.
func packBundle(tb testing.TB, vs *ca.VirtualSigstore, e *ca.TestEntity, version string) []byte {
	tb.Helper()
	mediaType, err := bundle.MediaTypeString(version)
	require.NoError(tb, err)
	vc, err := e.VerificationContent()
	require.NoError(tb, err)
	leaf := &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}
	vm := &protobundle.VerificationMaterial{}
	if version == "v0.3" {
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: leaf}
	} else {
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{
			X509CertificateChain: &protocommon.X509CertificateChain{Certificates: []*protocommon.X509Certificate{leaf}},
		}
	}
	pb := &protobundle.Bundle{MediaType: mediaType, VerificationMaterial: vm}

	sc, err := e.SignatureContent()
	require.NoError(tb, err)
	kind := "hashedrekord"
	if env := sc.EnvelopeContent(); env != nil {
		raw := env.RawEnvelope()
		payload, err := base64.StdEncoding.DecodeString(raw.Payload)
		require.NoError(tb, err)
		sig, err := base64.StdEncoding.DecodeString(raw.Signatures[0].Sig)
		require.NoError(tb, err)
		pb.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: raw.PayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig, Keyid: raw.Signatures[0].KeyID}},
		}}
		kind = "dsse"
	} else {
		msg := sc.MessageSignatureContent()
		pb.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{
				Algorithm: protocommon.HashAlgorithm(protocommon.HashAlgorithm_value[msg.DigestAlgorithm()]),
				Digest:    msg.Digest(),
			},
			Signature: msg.Signature(),
		}}
	}

	timestamps, err := e.Timestamps()
	require.NoError(tb, err)
	if len(timestamps) > 0 {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{}
		for _, ts := range timestamps {
			vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps,
				&protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
		}
	}

	entries, err := e.TlogEntries()
	require.NoError(tb, err)
	for _, entry := range entries {
		tle := proto.Clone(entry.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
		tle.KindVersion = &protorekor.KindVersion{Kind: kind, Version: "0.0.1"}
		set, err := vs.RekorSignPayload(tlog.RekorPayload{
			Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
			IntegratedTime: tle.IntegratedTime,
			LogIndex:       tle.LogIndex,
			LogID:          hex.EncodeToString(tle.LogId.KeyId),
		})
		require.NoError(tb, err)
		tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
		if version != "v0.1" && tle.InclusionProof == nil {
			p, err := vs.GetInclusionProof(tle.CanonicalizedBody)
			require.NoError(tb, err)
			rootHash, err := hex.DecodeString(*p.RootHash)
			require.NoError(tb, err)
			proof := &protorekor.InclusionProof{
				LogIndex: *p.LogIndex, RootHash: rootHash, TreeSize: *p.TreeSize,
				Checkpoint: &protorekor.Checkpoint{Envelope: *p.Checkpoint},
			}
			for _, h := range p.Hashes {
				b, err := hex.DecodeString(h)
				require.NoError(tb, err)
				proof.Hashes = append(proof.Hashes, b)
			}
			tle.InclusionProof = proof
		}
		vm.TlogEntries = append(vm.TlogEntries, tle)
	}
	data, err := protojson.Marshal(pb)
	require.NoError(tb, err)
	return data
}
