package sbom

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	"golang.org/x/mod/modfile"
)

// ErrGoCommand: the go command failed or printed what paved cannot read.
var ErrGoCommand = errors.New("sbom: go command")

// The properties paved sets on generated components.
const (
	// PropertyGoVersion is the Go version a binary was built with.
	PropertyGoVersion = "paved:go:version"
	// PropertyGoBuildPrefix prefixes a binary's build settings
	// ("paved:go:build:GOOS").
	PropertyGoBuildPrefix = "paved:go:build:"
	// PropertyReplaces names the module path@version a component replaces.
	PropertyReplaces = "paved:go:replaces"
	// PropertyReplaceDir is the local directory a module is replaced by.
	PropertyReplaceDir = "paved:go:replace-dir"
)

// Option configures GenerateModule and GenerateBinary.
type Option interface{ apply(*config) error }

type config struct {
	now         func() time.Time
	rand        io.Reader
	goCmd       string
	downloads   bool
	fullGraph   bool
	tests       bool
	mainVersion string
	moduleOnly  []string // the module-only options given, for GenerateBinary
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithClock sets the clock for the BOM timestamp; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("sbom: WithClock: nil clock")
		}
		c.now = now
		return nil
	})
}

// WithRand sets the randomness for the BOM serial number (a version 4
// UUID); the default is crypto/rand.
func WithRand(r io.Reader) Option {
	return optionFunc(func(c *config) error {
		if r == nil {
			return errors.New("sbom: WithRand: nil reader")
		}
		c.rand = r
		return nil
	})
}

// WithGoCommand sets the go command to run; the default is "go" from
// PATH.
func WithGoCommand(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return errors.New("sbom: WithGoCommand: empty path")
		}
		c.goCmd = path
		c.moduleOnly = append(c.moduleOnly, "WithGoCommand")
		return nil
	})
}

// WithDownloads lets the go command fetch missing modules through the
// caller's GOPROXY. By default GenerateModule runs it with GOPROXY=off, so
// it fails rather than touching the network; it always runs with
// -mod=readonly, GOWORK=off and GOTOOLCHAIN=local, so go.mod is never
// rewritten and no toolchain is fetched.
func WithDownloads() Option {
	return optionFunc(func(c *config) error {
		c.downloads = true
		c.moduleOnly = append(c.moduleOnly, "WithDownloads")
		return nil
	})
}

// WithFullGraph makes GenerateModule list every module of the module
// graph (`go list -m all`), not only those that provide packages to the
// build.
func WithFullGraph() Option {
	return optionFunc(func(c *config) error {
		c.fullGraph = true
		c.moduleOnly = append(c.moduleOnly, "WithFullGraph")
		return nil
	})
}

// WithTests makes GenerateModule also list the modules only the main
// module's tests need; by default they are left out, as
// `cyclonedx-gomod mod` leaves them out.
func WithTests() Option {
	return optionFunc(func(c *config) error { c.tests = true; c.moduleOnly = append(c.moduleOnly, "WithTests"); return nil })
}

// WithMainVersion sets the version of the main module, which the go
// command does not know; by default the main component has no version.
func WithMainVersion(v string) Option {
	return optionFunc(func(c *config) error {
		c.mainVersion = v
		c.moduleOnly = append(c.moduleOnly, "WithMainVersion")
		return nil
	})
}

func newConfig(opts []Option) (*config, error) {
	c := &config{now: time.Now, rand: rand.Reader, goCmd: "go"}
	for _, o := range opts {
		if err := o.apply(c); err != nil {
			return nil, err
		}
	}
	if c.fullGraph && c.tests {
		return nil, errors.New("sbom: WithFullGraph and WithTests conflict: the full graph already has the test-only modules")
	}
	return c, nil
}

// goModule is a module as `go list -m -json` prints it.
type goModule struct {
	Path    string
	Version string
	Main    bool
	Dir     string
	Replace *goModule
}

// GenerateModule makes a CycloneDX 1.6 BOM of the Go module in dir: the
// main module as the metadata component and every module that provides
// packages to its build (the modules `go mod why -m -vendor` reports as
// needed other than through a test, the set `cyclonedx-gomod mod` lists),
// with WithTests also those its tests need, or with WithFullGraph every
// module of the graph. Each
// component has its version, a pkg:golang purl, its go.sum hash (the h1
// SHA-256, in hex), the license the module cache shows where one is
// recognised, and the dependency edges of `go mod graph` between the
// listed modules. It reads go.mod and go.sum and runs `go list -m -json
// all`, `go mod graph` and `go mod why -m -vendor` side by side, never
// downloading unless WithDownloads is given.
func GenerateModule(ctx context.Context, dir string, opts ...Option) (*cdx.BOM, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	// go.sum and go.mod name every module that can provide packages (one
	// that does has its hash in go.sum, or is replaced in go.mod), so go
	// mod why runs beside go list and go mod graph rather than after them.
	sums, err := readGoSum(filepath.Join(dir, "go.sum"))
	if err != nil {
		return nil, err
	}
	candidates, err := candidateModules(filepath.Join(dir, "go.mod"), sums)
	if err != nil {
		return nil, err
	}
	var (
		wg               sync.WaitGroup
		graph            []byte
		needed           map[string]bool
		graphErr, whyErr error
	)
	wg.Go(func() { graph, graphErr = cfg.run(ctx, dir, "mod", "graph") })
	if !cfg.fullGraph {
		wg.Go(func() { needed, whyErr = cfg.neededModules(ctx, dir, candidates) })
	}
	listed, err := cfg.run(ctx, dir, "list", "-m", "-json", "all")
	var mods []goModule
	if err == nil {
		mods, err = decodeModules(listed)
	}
	wg.Wait()
	if err = cmp.Or(err, graphErr, whyErr); err != nil {
		return nil, err
	}

	bom, err := cfg.newBOM()
	if err != nil {
		return nil, err
	}
	refs := map[string]string{} // module path -> bom-ref
	selected := map[string]string{}
	var components []cdx.Component
	for _, m := range mods {
		if !m.Main && !cfg.fullGraph && !needed[m.Path] {
			continue
		}
		c := moduleComponent(m, sums)
		if m.Main {
			c.Type = cdx.ComponentTypeApplication
			if cfg.mainVersion != "" {
				c.Version = cfg.mainVersion
				c.PackageURL = goPURL(m.Path, cfg.mainVersion)
				c.BOMRef = c.PackageURL
			}
			bom.Metadata.Component = &c
		} else {
			components = append(components, c)
		}
		refs[m.Path] = c.BOMRef
		selected[m.Path] = m.Version
	}
	if bom.Metadata.Component == nil {
		return nil, fmt.Errorf("%w: go list -m all in %s names no main module", ErrGoCommand, dir)
	}
	bom.Components = &components
	deps, err := graphDependencies(graph, refs, selected)
	if err != nil {
		return nil, err
	}
	bom.Dependencies = &deps
	return bom, nil
}

// run runs the go command in dir and returns its standard output.
func (c *config) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.goCmd, args...)
	cmd.Dir = dir
	// Later entries win: the module is read as it is, never rewritten.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	if !c.downloads {
		cmd.Env = append(cmd.Env, "GOPROXY=off")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: go %s in %s: %v: %s", ErrGoCommand, strings.Join(args[:min(len(args), 3)], " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// decodeModules reads the JSON stream `go list -m -json` prints.
func decodeModules(data []byte) ([]goModule, error) {
	var mods []goModule
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var m goModule
		if err := dec.Decode(&m); err == io.EOF {
			return mods, nil
		} else if err != nil {
			return nil, fmt.Errorf("%w: go list -m -json: %v", ErrGoCommand, err)
		}
		mods = append(mods, m)
	}
}

// neededModules runs `go mod why -m -vendor` over every dependency and
// returns the paths of those the main module's packages need (and its
// tests', with WithTests).
func (c *config) neededModules(ctx context.Context, dir string, paths []string) (map[string]bool, error) {
	args := append([]string{"mod", "why", "-m", "-vendor"}, paths...)
	needed := map[string]bool{}
	if len(args) == 4 {
		return needed, nil
	}
	out, err := c.run(ctx, dir, args...)
	if err != nil {
		return nil, err
	}
	// Output: "# path" then either "(main module does not need ...)" or
	// the shortest import chain from the main module to a package of the
	// module. A chain through a test ("example.com/m.test") means the
	// module is needed only by tests.
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var current string
	testOnly := false
	flush := func() {
		if current != "" && needed[current] && testOnly && !c.tests {
			delete(needed, current)
		}
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "# "); ok {
			flush()
			current, testOnly = p, false
			continue
		}
		if current == "" || line == "" || strings.HasPrefix(line, "(main module does not need") {
			continue
		}
		needed[current] = true
		testOnly = testOnly || strings.HasSuffix(line, ".test")
	}
	flush()
	return needed, sc.Err()
}

// candidateModules returns the paths of the modules go.sum has a hash of
// (any module that provides packages has one) and of the modules go.mod
// replaces (a replaced module's hash is under its replacement, or absent
// for a directory), sorted.
func candidateModules(goModPath string, sums map[string]string) ([]string, error) {
	data, err := os.ReadFile(goModPath)
	if err != nil {
		return nil, fmt.Errorf("sbom: read go.mod: %w", err)
	}
	f, err := modfile.ParseLax(goModPath, data, nil)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	var paths []string
	for key := range sums {
		path, _, _ := strings.Cut(key, " ")
		paths = append(paths, path)
	}
	for _, r := range f.Replace {
		paths = append(paths, r.Old.Path)
	}
	for _, r := range f.Require {
		paths = append(paths, r.Mod.Path)
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// readGoSum maps "path version" to the h1 hash of go.sum; a missing go.sum
// is an empty map (a module without dependencies has none).
func readGoSum(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sbom: read go.sum: %w", err)
	}
	sums := map[string]string{}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) == 3 && !strings.HasSuffix(f[1], "/go.mod") {
			sums[f[0]+" "+f[1]] = f[2]
		}
	}
	return sums, nil
}

// moduleComponent makes the component of one module of `go list -m`.
func moduleComponent(m goModule, sums map[string]string) cdx.Component {
	c := cdx.Component{Type: cdx.ComponentTypeLibrary, Name: m.Path, Version: m.Version}
	var props []cdx.Property
	sumKey := m.Path + " " + m.Version
	dir := m.Dir
	if r := m.Replace; r != nil {
		if r.Version != "" {
			props = append(props, cdx.Property{Name: PropertyReplaces, Value: m.Path + "@" + m.Version})
			c.Name, c.Version = r.Path, r.Version
			sumKey = r.Path + " " + r.Version
		} else {
			props = append(props, cdx.Property{Name: PropertyReplaceDir, Value: r.Path})
		}
		dir = r.Dir
	}
	c.PackageURL = goPURL(c.Name, c.Version)
	c.BOMRef = c.PackageURL
	if h := h1Hex(sums[sumKey]); h != "" {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}
	}
	if id := detectLicense(dir); id != "" {
		c.Licenses = &cdx.Licenses{{License: &cdx.License{ID: id}}}
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

// goPURL is the pkg:golang purl of a module version.
func goPURL(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

// h1Hex turns a go.sum "h1:" hash (base64 SHA-256) into hex; "" if it is
// not one.
func h1Hex(sum string) string {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != 32 {
		return ""
	}
	return hex.EncodeToString(b)
}

// graphDependencies turns `go mod graph` output into dependency entries
// between the listed modules: an edge from a module's selected version to
// the selected version of each module it requires.
func graphDependencies(graph []byte, refs, selected map[string]string) ([]cdx.Dependency, error) {
	edges := map[string][]string{}
	for line := range strings.Lines(string(graph)) {
		from, to, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return nil, fmt.Errorf("%w: go mod graph: unexpected line %q", ErrGoCommand, line)
		}
		fromPath, fromVersion, _ := strings.Cut(from, "@")
		toPath, _, _ := strings.Cut(to, "@")
		fromRef, ok1 := refs[fromPath]
		toRef, ok2 := refs[toPath]
		if !ok1 || !ok2 || fromVersion != selected[fromPath] || fromRef == toRef {
			continue
		}
		edges[fromRef] = append(edges[fromRef], toRef)
	}
	deps := make([]cdx.Dependency, 0, len(refs))
	for _, ref := range refs {
		on := edges[ref]
		if on == nil {
			on = []string{} // "dependsOn": [], known to have none
		}
		slices.Sort(on)
		on = slices.Compact(on)
		deps = append(deps, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	slices.SortFunc(deps, func(a, b cdx.Dependency) int { return strings.Compare(a.Ref, b.Ref) })
	return deps, nil
}

// newBOM makes an empty CycloneDX 1.6 BOM with a serial number, the
// timestamp and paved as the tool.
func (c *config) newBOM() (*cdx.BOM, error) {
	serial, err := uuid4(c.rand)
	if err != nil {
		return nil, err
	}
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6"
	bom.SerialNumber = "urn:uuid:" + serial
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Group: "paved.dev", Name: "paved", Version: pavedVersion()}
	bom.Metadata = &cdx.Metadata{
		Timestamp: c.now().UTC().Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
	}
	return bom, nil
}

// uuid4 makes a version 4 UUID from r.
func uuid4(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("sbom: serial number: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// pavedVersion is the version of the paved module in the running binary,
// "(devel)" when unknown.
func pavedVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath && bi.Main.Version != "" {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				return d.Version
			}
		}
	}
	return "(devel)"
}

const modulePath = "github.com/paved-dev/paved"
