package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"time"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// recordStep signs and stores a step's link-like record: the in-toto link
// predicate with the declared materials, the command, and as byproducts
// the run, stage, outcome, exit code, stdout and stderr digests and start
// and end times; the recorded environment; the products as subjects.
func (x *execution) recordStep(ctx context.Context, stage Stage, name string, res *Result, started, finished time.Time) (evidence.Record, error) {
	outcome := "succeeded"
	if res.Failed {
		outcome = "failed"
	}
	by := map[string]any{
		"run":        x.rc.id,
		"pipeline":   x.p.name,
		"stage":      string(stage),
		"outcome":    outcome,
		"exitCode":   res.ExitCode,
		"stdout":     digestOf(x.redact.bytes(res.Stdout)),
		"stderr":     digestOf(x.redact.bytes(res.Stderr)),
		"startedAt":  started.UTC().Format(time.RFC3339Nano),
		"finishedAt": finished.UTC().Format(time.RFC3339Nano),
		"builderId":  x.runner.cfg.ci.BuilderID,
	}
	if res.Message != "" {
		by["message"] = res.Message
	}
	if res.Manual {
		by["manual"] = true
		if res.ManualTime > 0 {
			by["manualSeconds"] = res.ManualTime.Seconds()
		}
	}
	if u := x.runner.cfg.ci.RunURL; u != "" {
		by["runUrl"] = u
	}
	byproducts, err := structpb.NewStruct(by)
	if err != nil {
		return evidence.Record{}, err
	}
	link := &linkv0.Link{Name: name, Command: x.redact.strings(res.Command), Byproducts: byproducts}
	for _, m := range res.Materials {
		link.Materials = append(link.Materials, descriptor(m))
	}
	if env := x.recordedEnv(); len(env) > 0 {
		if link.Environment, err = structpb.NewStruct(env); err != nil {
			return evidence.Record{}, err
		}
	}
	return x.append(ctx, stage, map[string]string{"paved.step": name}, attest.NewLink(link), res.Products)
}

// recordedEnv reads the allow-listed environment variables, redacted.
func (x *execution) recordedEnv() map[string]any {
	cfg := x.runner.cfg
	env := map[string]any{}
	for _, n := range cfg.envNames {
		if v, ok := cfg.envLookup(n); ok {
			env[n] = x.redact.string(v)
		}
	}
	return env
}

// descriptor converts a subject to an in-toto resource descriptor.
func descriptor(s supplychain.Subject) *ita.ResourceDescriptor {
	return &ita.ResourceDescriptor{Name: s.Name, Uri: s.URI, Digest: maps.Clone(map[string]string(s.Digest))}
}

// digestOf returns "sha256:<hex>" of b.
func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
