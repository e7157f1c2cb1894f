package step

import (
	_ "embed"

	"github.com/paved-dev/paved/pipeline"
)

//go:embed templates/go-service.yaml
var goService []byte

// DefaultTemplate returns the paved-road template for a Go service: a
// change record; build, SBOM, secret and vulnerability scans and
// provenance; unit tests; signing, verification, approval and the ledger
// release; a deployment. Its variables are service, version, environment,
// approvers and base (see the template's header).
func DefaultTemplate() []byte { return append([]byte(nil), goService...) }

// GoService loads DefaultTemplate with the built-in kinds made from env.
func GoService(env Env, vars map[string]string) (*pipeline.Pipeline, error) {
	return pipeline.LoadTemplate(goService, "go-service.yaml", Kinds(env), vars)
}
