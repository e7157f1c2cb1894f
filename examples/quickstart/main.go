package main

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/evidencelog"
	metricsreport "github.com/paved-dev/paved/metrics/report"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// The people and places of the quickstart: the default map's
// environments take deployments from deploy-bot, and staging takes only
// what ran in dev first.
const (
	developer   = "dev@example.com"  // writes the greeter's code
	reviewer    = "lead@example.com" // reviews and approves its changes
	team        = "lead@example.com, sec@example.com"
	deployer    = "deploy-bot@example.com"
	first       = "dev"     // where the paved road deploys
	environment = "staging" // where releases are promoted, and measured
)

// config is what the flags set.
type config struct {
	// work holds the greeter's repository, the paved directory (.paved)
	// and the reports.
	work string
	// repo, service and version name an existing service to release
	// instead of the greeter's story.
	repo, service, version string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.work, "dir", "", "the working directory: the greeter, the paved directory .paved and the reports (default: a new temporary directory, kept)")
	flag.StringVar(&cfg.repo, "repo", "", "run the paved road on this git repository (a Go module with its main package at its root and a CODEOWNERS file) instead of the greeter's story")
	flag.StringVar(&cfg.service, "service", "", "the service's name with -repo (default: the repository's directory name)")
	flag.StringVar(&cfg.version, "version", "v0.1.0", "the version released with -repo")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the quickstart: one service, one pipeline, one control set.
func run(ctx context.Context, w io.Writer, cfg config) error {
	work := cfg.work
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "paved-quickstart-"); err != nil {
			return err
		}
	}
	dir, service, settings := filepath.Join(work, ".paved"), "greeter", guardrails
	if cfg.repo != "" {
		abs, err := filepath.Abs(cfg.repo)
		if err != nil {
			return err
		}
		cfg.repo, service = abs, cmp.Or(cfg.service, filepath.Base(abs))
		if settings, err = ownTeams(abs); err != nil {
			return err
		}
	}

	prog, err := paved.Open(ctx, dir, paved.WithService(service), paved.WithGuardrails(settings))
	if err != nil {
		return err
	}
	defer prog.Close(ctx)
	vulns, err := fixtures()
	if err != nil {
		return err
	}
	q := &quickstart{w: w, prog: prog, service: service, vulns: vulns}
	fmt.Fprintln(w, "paved quickstart: one service, one pipeline, one control set")

	version := cfg.version
	if cfg.repo == "" {
		fmt.Fprintf(w, "  service   %s, a Go HTTP service, in a new git repository: %s\n", service, filepath.Join(work, service))
		fmt.Fprintf(w, "  evidence  %s (SQLite, keys/ mode 0600)\n", dir)
		if version, err = q.story(ctx, filepath.Join(work, service)); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "  service   %s in %s\n", service, cfg.repo)
		fmt.Fprintf(w, "  evidence  %s (SQLite, keys/ mode 0600)\n", dir)
		if err := q.release(ctx, &repo{cfg.repo}, version, "the paved road"); err != nil {
			return err
		}
		if err := q.promote(ctx, version); err != nil {
			return err
		}
	}
	as, err := q.assess(ctx, version)
	if err != nil {
		return err
	}
	res, err := q.dora(ctx)
	if err != nil {
		return err
	}
	if err := q.reports(ctx, filepath.Join(work, "reports"), as, res); err != nil {
		return err
	}
	return q.audit(ctx)
}

// guardrails are the settings the built-in policies read: the local
// builder and the Program's key (named "paved" in its trust policy) are
// trusted to build and to release, the owning team's roster (the
// greeter's CODEOWNERS names it) says who may approve, and Go modules are
// the allowed package source.
var guardrails = map[string]any{
	"trusted_builders": map[string]any{ci.LocalBuilderID: []any{"paved"}},
	"release_signers":  []any{"paved"},
	"teams":            map[string]any{"@acme/greeters": []any{developer, "lead@example.com", "sec@example.com"}},
	"package_sources":  []any{"pkg:golang/"},
}

// ownTeams returns the guardrail settings for a repository of the
// user's: the quickstart's reviewers join every team its CODEOWNERS
// names, so that their approval counts for the change's owner.
func ownTeams(repo string) (map[string]any, error) {
	owners, err := step.CodeOwners(repo)
	if err != nil {
		return nil, err
	}
	if len(owners) == 0 {
		return nil, fmt.Errorf("%s has no CODEOWNERS file: every change needs an owning team (add one, such as '* @org/team')", repo)
	}
	teams := map[string]any{}
	for _, o := range owners {
		teams[o] = []any{reviewer, "sec@example.com"}
	}
	settings := maps.Clone(guardrails)
	settings["teams"] = teams
	return settings, nil
}

// fixtureFS holds the quickstart's OSV records (*.osv.json) and the
// team's VEX statements (*.openvex.json).
//
//go:embed fixtures
var fixtureFS embed.FS

// fixtures returns the step environment's vulnerability database, with
// the VEX statements applied to every scan.
func fixtures() (step.Env, error) {
	var env step.Env
	entries, err := fixtureFS.ReadDir("fixtures")
	if err != nil {
		return env, err
	}
	var records []*vuln.Record
	var docs []*vex.VEX
	for _, e := range entries {
		name := "fixtures/" + e.Name()
		data, err := fixtureFS.ReadFile(name)
		if err != nil {
			return env, err
		}
		switch {
		case strings.HasSuffix(name, ".osv.json"):
			rec, err := vuln.ParseRecord(data)
			if err != nil {
				return env, fmt.Errorf("%s: %w", name, err)
			}
			records = append(records, rec)
		case strings.HasSuffix(name, ".openvex.json"):
			doc, err := vex.Parse(data)
			if err != nil {
				return env, fmt.Errorf("%s: %w", name, err)
			}
			docs = append(docs, doc)
		}
	}
	env.Vulns, env.VulnOptions = vuln.NewDB(records), []vuln.Option{vuln.WithVEX(docs...)}
	return env, nil
}

// quickstart walks a service through paved, printing what happens.
type quickstart struct {
	w       io.Writer
	prog    *paved.Program
	service string
	vulns   step.Env
	subject *supplychain.Subject // the artifact released last
}

// story is the greeter's week: a release, an incident it caused, the fix
// released, and the recovery. It returns the version running at the end.
func (q *quickstart) story(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	r, err := newRepo(ctx, dir)
	if err != nil {
		return "", err
	}
	if err := q.release(ctx, r, "v1.0.0", "the first release"); err != nil {
		return "", err
	}
	if err := q.promote(ctx, "v1.0.0"); err != nil {
		return "", err
	}
	running, err := q.prog.Ledger().Current(ctx, environment)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(running, func(r ledger.Running) bool { return r.Release.Service == q.service })
	if i < 0 {
		return "", fmt.Errorf("the ledger has no %s running in %s", q.service, environment)
	}
	cause, culprit := running[i].Deployment.ID, *q.subject

	detected := time.Now().UTC()
	incident := step.Incident{Ledger: q.prog.Ledger(), ID: "INC-1", Service: q.service, Environment: environment, Severity: "sev3",
		Owner: "acme-greeters", Summary: `anonymous visitors are greeted with "Hello, !"`, CausedBy: cause, DetectedAt: detected}
	if err := q.operate(ctx, "an incident: "+incident.Summary, culprit, incident); err != nil {
		return "", err
	}

	if _, err := r.commit(ctx, "greeter: greet anonymous visitors as the world", fix); err != nil {
		return "", err
	}
	if err := q.release(ctx, r, "v1.0.1", "the fix"); err != nil {
		return "", err
	}
	if err := q.promote(ctx, "v1.0.1"); err != nil {
		return "", err
	}
	resolved := time.Now().UTC()
	incident.StepName, incident.ResolvedAt = "resolve", &resolved
	if err := q.operate(ctx, "recovery: v1.0.1 fixed INC-1", culprit, incident); err != nil {
		return "", err
	}
	return "v1.0.1", nil
}

// release records the reviewer's approval of the repository's head commit,
// as a review tool would, then runs the paved-road template through all
// five stages for version, deploying to the first environment.
func (q *quickstart) release(ctx context.Context, r *repo, version, what string) error {
	head, err := r.head(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(q.w, "\n== %s %s, %s: commit %s, approved by %s ==\n", q.service, version, what, head[:12], reviewer)
	if err := q.approve(ctx, head); err != nil {
		return err
	}
	p, err := step.GoService(step.Env{Ledger: q.prog.Ledger(), Signer: q.prog.Signer(), Trust: q.prog.Trust(),
		Vulns: q.vulns.Vulns, VulnOptions: q.vulns.VulnOptions},
		map[string]string{"service": q.service, "version": version, "environment": first, "approvers": team, "base": ""})
	if err != nil {
		return err
	}
	run, err := q.prog.Runner().Run(ctx, p, pipeline.InDir(r.dir), pipeline.AsDeployer(deployer))
	q.print(run)
	if err != nil {
		return err
	}
	q.subject = run.Subject
	fmt.Fprintf(q.w, "%s %s runs in %s: %s\n", q.service, version, first, run.Subject.Digest.Digests()[0])
	return nil
}

// promote deploys the artifact just released, which runs in the first
// environment, to the next one.
func (q *quickstart) promote(ctx context.Context, version string) error {
	if err := q.operate(ctx, fmt.Sprintf("promote %s %s from %s to %s", q.service, version, first, environment),
		*q.subject, step.Deploy{Ledger: q.prog.Ledger(), Service: q.service, Environment: environment}); err != nil {
		return err
	}
	fmt.Fprintf(q.w, "%s %s runs in %s\n", q.service, version, environment)
	return nil
}

// approve records the reviewer's approval of a commit, signed with the
// Program's key.
func (q *quickstart) approve(ctx context.Context, commit string) error {
	st, err := attest.Build(attest.Approval{Approver: reviewer, Decision: "approved", ChangeID: commit, Stage: "release",
		Comment: "reviewed", DecidedAt: time.Now().UTC()}, supplychain.Subject{Name: "change", Digest: supplychain.DigestSet{"gitCommit": commit}})
	if err != nil {
		return err
	}
	env, err := sign.Sign(ctx, q.prog.Signer(), st)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return err
	}
	_, err = q.prog.Store().Append(ctx, evidence.Entry{Envelope: raw, Stage: "release"})
	return err
}

// operate runs Operate-stage steps about an artifact released to the
// environment.
func (q *quickstart) operate(ctx context.Context, title string, artifact supplychain.Subject, steps ...pipeline.Step) error {
	fmt.Fprintf(q.w, "\n== Operate: %s ==\n", title)
	p, err := pipeline.New("operate", pipeline.In(pipeline.Operate, steps...))
	if err != nil {
		return err
	}
	run, err := q.prog.Runner().Run(ctx, p, pipeline.ForSubject(artifact), pipeline.ToEnvironment(environment), pipeline.AsDeployer(deployer))
	q.print(run)
	return err
}

// print shows a run's steps, each stage followed by its gate.
func (q *quickstart) print(run *pipeline.Run) {
	if run == nil {
		return
	}
	tw := tabwriter.NewWriter(q.w, 0, 4, 2, ' ', 0)
	for _, stage := range pipeline.Stages() {
		for _, s := range run.Steps {
			if s.Stage == stage {
				status := "ok"
				if s.Failed {
					status = "FAILED"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Stage, s.Name, status, s.Message)
			}
		}
		for _, g := range run.Gates {
			if g.Stage == stage {
				fmt.Fprintf(tw, "%s\tgate\t%s\t%s\n", g.Stage, g.Decision.Outcome, gateSummary(g.Decision))
			}
		}
	}
	_ = tw.Flush()
	if run.Outcome != pipeline.Succeeded {
		fmt.Fprintf(q.w, "run %s: %s: %v\n", run.ID, run.Outcome, run.Err)
	}
}

// gateSummary counts a decision's controls by status and names the ones
// that did not pass.
func gateSummary(d *policy.Decision) string {
	counts := map[policy.Status]int{}
	var notes []string
	for _, c := range d.Controls {
		counts[c.Status]++
		switch c.Status {
		case policy.StatusFail, policy.StatusError, policy.StatusWarn:
			notes = append(notes, c.Control+" "+string(c.Status))
		}
	}
	var parts []string
	for _, st := range []policy.Status{policy.StatusPass, policy.StatusWaived, policy.StatusWarn, policy.StatusFail, policy.StatusError, policy.StatusManual} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	s := strings.Join(parts, ", ")
	if len(notes) > 0 {
		s += ": " + strings.Join(notes, ", ")
	}
	return s
}

// assess judges every control of the map against the evidence of the
// release running at the end, and prints the scores.
func (q *quickstart) assess(ctx context.Context, version string) (*capability.Assessment, error) {
	rel, err := q.prog.Ledger().Release(ctx, q.service, version)
	if err != nil {
		return nil, err
	}
	released, err := q.prog.Ledger().Released(ctx, q.service)
	if err != nil {
		return nil, err
	}
	as, err := capability.Assess(ctx, q.prog.Map(), q.prog.Store(), q.prog.Engine(), capability.AssessmentScope{
		Service: q.service, Release: version, Subjects: rel.Artifacts, Environment: environment, Released: released})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(q.w, "\n== Capability assessment of %s %s in %s ==\n", q.service, version, environment)
	tw := tabwriter.NewWriter(q.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tPASS\tJUDGED\tMANUAL\tCONTROLS")
	for _, a := range as.Areas {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", a.Area, a.Counts[capability.StatusPass], a.Judged, a.Counts[capability.StatusManual], a.Total)
	}
	fmt.Fprintf(tw, "overall\t%d\t%d\t%d\t%d\n", as.Overall.Counts[capability.StatusPass], as.Overall.Judged, as.Overall.Counts[capability.StatusManual], as.Overall.Total)
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	fmt.Fprintf(q.w, "%d gaps in the backlog; the first:\n", len(as.Backlog))
	for _, it := range as.Backlog[:min(5, len(as.Backlog))] {
		fmt.Fprintf(q.w, "  %s %s (%s, %s): %s, owner %s\n", it.Control, it.Title, it.Enforcement, it.Status, it.Work, it.OwnerName)
	}
	return as, nil
}

// dora computes the DORA metrics of the last 30 days from the evidence
// log's deployments, incidents and changes, and prints them.
func (q *quickstart) dora(ctx context.Context) (*metrics.Result, error) {
	ev, err := evidencelog.Read(ctx, q.prog.Store())
	if err != nil {
		return nil, err
	}
	calc, err := metrics.New(metrics.WithLeadTimeStart(metrics.ClockPRCreated))
	if err != nil {
		return nil, err
	}
	end := time.Now().UTC().Add(time.Second)
	res, err := calc.Compute(ev.Events, metrics.Window{Start: end.AddDate(0, 0, -30), End: end})
	if err != nil {
		return nil, err
	}
	for _, g := range res.Groups {
		if g.Service != q.service || g.Environment != environment {
			continue
		}
		m := g.Metrics
		fmt.Fprintf(q.w, "\n== DORA metrics of %s in %s, last 30 days ==\n", g.Service, g.Environment)
		tw := tabwriter.NewWriter(q.w, 0, 4, 2, ' ', 0)
		perDay := func(v float64) string { return fmt.Sprintf("%.4g per day", v) }
		percent := func(v float64) string { return fmt.Sprintf("%.4g %%", 100*v) }
		hours := func(v float64) string { return time.Duration(v * float64(time.Hour)).Round(time.Second).String() }
		for _, row := range []struct {
			name   string
			v      metrics.Value
			format func(float64) string
		}{
			{"deployment frequency", m.DeploymentFrequency, perDay},
			{"lead time for changes", m.LeadTime, hours},
			{"change fail rate", m.ChangeFailRate, percent},
			{"failed deployment recovery time", m.RecoveryTime, hours},
			{"rework rate", m.ReworkRate, percent},
		} {
			value := "undefined"
			if row.v.Defined {
				value = row.format(row.v.Value)
			}
			fmt.Fprintf(tw, "%s\t%s\tn=%d\t%s\n", row.name, value, row.v.N, row.v.Tier)
		}
		return res, tw.Flush()
	}
	return nil, fmt.Errorf("no deployments of %s in %s in the evidence log", q.service, environment)
}

// reports writes the assessment (HTML, Markdown, JSON and a signed,
// verifiable pack) and the DORA page to out.
func (q *quickstart) reports(ctx context.Context, out string, as *capability.Assessment, res *metrics.Result) error {
	rep, err := report.New(ctx, q.prog.Store(), q.prog.Map(), as)
	if err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		"report.html": rep.WriteHTML, "report.md": rep.WriteMarkdown, "report.json": rep.WriteJSON,
		"dora.html": func(w io.Writer) error { return metricsreport.HTML(w, res) },
	}
	rendered := map[string][]byte{}
	for name, write := range files {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rendered[name] = b.Bytes()
	}
	var pack bytes.Buffer
	if err := report.WritePack(ctx, &pack, q.prog.Store(), q.prog.Signer(), as, rendered); err != nil {
		return err
	}
	rendered["report.pack"] = pack.Bytes()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(rendered))
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(out, name), rendered[name], 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(q.w, "\n== Reports ==\nwrote %s to %s\n", strings.Join(names, ", "), out)
	fmt.Fprintf(q.w, "verify the pack offline: go run ./examples/verifypack -key '%s' %s\n",
		q.prog.CheckpointVerifierKey(), filepath.Join(out, "report.pack"))
	return nil
}

// audit recomputes the whole evidence log: every envelope's hash, every
// leaf, the tree and every stored checkpoint.
func (q *quickstart) audit(ctx context.Context) error {
	if _, err := q.prog.Store().Checkpoint(ctx); err != nil {
		return err
	}
	a, err := q.prog.Store().Audit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(q.w, "\n== Audit ==\n%d records recomputed, %d checkpoints consistent, root %s\n", a.Size, a.Checkpoints, hex.EncodeToString(a.Root))
	return nil
}
