package drift_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/paved-dev/paved/platform/drift"
)

// manifests returns a desired and an actual JSON list of n Kubernetes-like
// resources, the actual one with every tenth resource's replicas and
// image changed.
func manifests(b *testing.B, n int) ([]byte, []byte) {
	mk := func(drifted bool) []byte {
		items := make([]map[string]any, n)
		for i := range n {
			replicas, image := 3, fmt.Sprintf("registry.example.com/svc%d@sha256:%064x", i, i)
			if drifted && i%10 == 0 {
				replicas, image = 1, fmt.Sprintf("registry.example.com/svc%d:latest", i)
			}
			items[i] = map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": fmt.Sprintf("svc%d", i), "labels": map[string]any{"app.kubernetes.io/name": fmt.Sprintf("svc%d", i), "team": "t"}},
				"spec": map[string]any{"replicas": replicas, "template": map[string]any{"containers": []any{
					map[string]any{"name": "main", "image": image, "env": []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}},
						"resources": map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "256Mi"}}}}}}}
		}
		out, err := json.Marshal(map[string]any{"items": items})
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	return mk(false), mk(true)
}

// BenchmarkCompare diffs 1,000 and 10,000 resources with paths, beside
// the baseline of decoding both with encoding/json and comparing them
// with reflect.DeepEqual, which only says whether they differ.
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		desired, actual := manifests(b, n)
		b.Run(fmt.Sprintf("compare/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(desired) + len(actual)))
			for b.Loop() {
				diffs, err := drift.Compare(desired, actual, nil)
				if err != nil || len(diffs) != n/10*2 {
					b.Fatalf("%d diffs, %v", len(diffs), err)
				}
			}
		})
		b.Run(fmt.Sprintf("baseline-unmarshal-deepequal/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(desired) + len(actual)))
			for b.Loop() {
				var x, y any
				if err := json.Unmarshal(desired, &x); err != nil {
					b.Fatal(err)
				}
				if err := json.Unmarshal(actual, &y); err != nil {
					b.Fatal(err)
				}
				if reflect.DeepEqual(x, y) {
					b.Fatal("equal")
				}
			}
		})
	}
}
