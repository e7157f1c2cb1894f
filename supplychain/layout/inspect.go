package layout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/paved-dev/paved/supplychain"
)

// maxStderr is how much of an inspection's standard error a failure
// quotes.
const maxStderr = 4 << 10

// inspect runs the layout's inspections when the verifier allows it, and
// checks their artifact rules against their own links and the steps'.
//
// in-toto-golang's RunInspections is not used: it runs commands in the
// process's working directory (or names artifacts by an absolute run
// directory, which breaks MATCH rules against step links), writes a link
// file into the working directory, prints to standard output, cannot be
// cancelled, and records artifacts through a package-level variable that
// makes concurrent use a data race. Here each inspection runs under ctx in
// the WithInspectionsUnsafe directory, its materials and products named
// relative to it, as in-toto names them when it runs in the current
// directory.
func (v *Verifier) inspect(ctx context.Context, lay in_toto.Layout, steps map[string]in_toto.Metadata, scope string, res *Result) error {
	if len(lay.Inspect) == 0 {
		return nil
	}
	if v.cfg.skipInspections {
		for _, in := range lay.Inspect {
			res.SkippedInspections = append(res.SkippedInspections, in.Name)
		}
		v.cfg.logger.WarnContext(ctx, "inspections skipped", "scope", scope, "inspections", res.SkippedInspections)
		return nil
	}
	items := make(map[string]in_toto.Metadata, len(steps)+len(lay.Inspect))
	for _, in := range lay.Inspect {
		md, err := v.runInspection(ctx, in)
		if err != nil {
			return &VerificationError{Op: "inspect", Path: v.cfg.inspectDir, Step: qualify(scope, in.Name), Kind: ErrInspectionFailed, Err: err}
		}
		items[in.Name] = md
	}
	for name, md := range steps {
		items[name] = md
	}
	for _, in := range lay.Inspect {
		if err := callLibrary(func() error { return in_toto.VerifyArtifacts([]any{in}, items) }); err != nil {
			return fail("verify", qualify(scope, in.Name), ErrArtifactRule, err)
		}
		res.Inspections = append(res.Inspections, in.Name)
	}
	return nil
}

// runInspection records the files of the inspection directory, runs the
// inspection's command there, records them again and returns the unsigned
// link.
func (v *Verifier) runInspection(ctx context.Context, in in_toto.Inspection) (in_toto.Metadata, error) {
	dir := v.cfg.inspectDir
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	materials, err := recordArtifacts(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("materials: %w", err)
	}

	v.cfg.logger.DebugContext(ctx, "running inspection", "inspection", in.Name, "command", in.Run, "dir", dir)
	cmd := exec.CommandContext(ctx, in.Run[0], in.Run[1:]...)
	cmd.Dir = dir
	stderr := &prefixWriter{max: maxStderr}
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return nil, fmt.Errorf("command %q exited with status %d: %s", in.Run, exitErr.ExitCode(), strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		return nil, err
	}

	products, err := recordArtifacts(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	return &in_toto.Metablock{Signed: in_toto.Link{
		Type:        "link",
		Name:        in.Name,
		Materials:   materials,
		Products:    products,
		ByProducts:  map[string]any{},
		Command:     in.Run,
		Environment: map[string]any{},
	}}, nil
}

// recordArtifacts returns the sha256 digest of every regular file under
// root, by slash-separated path relative to it. Symbolic links are followed
// within root (one leading outside it is an error); directories they reach
// are not walked, as in-toto by default does not.
func recordArtifacts(ctx context.Context, root *os.Root) (map[string]in_toto.HashObj, error) {
	out := map[string]in_toto.HashObj{}
	err := fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := root.Stat(name)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := root.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		set, err := supplychain.DigestReader(f, supplychain.SHA256)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out[name] = in_toto.HashObj(set)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prefixWriter keeps the first max bytes written to it and discards the
// rest, so that a chatty command cannot exhaust memory.
type prefixWriter struct {
	max int
	buf []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *prefixWriter) String() string { return string(w.buf) }
