package ci

import (
	"strings"
)

// Provider names a CI system.
type Provider string

// The CI systems FromEnv recognizes.
const (
	GitHubActions  Provider = "github-actions"
	GitLabCI       Provider = "gitlab-ci"
	Jenkins        Provider = "jenkins"
	Buildkite      Provider = "buildkite"
	CircleCI       Provider = "circleci"
	AzurePipelines Provider = "azure-pipelines"
	// Local is a developer's machine or an unknown CI system.
	Local Provider = "local"
)

// LocalBuilderID is the builder ID of a run outside any recognized CI
// system.
const LocalBuilderID = "https://paved.dev/builders/local/v1"

// Context is what the CI system says about the current run. Fields the
// system does not provide are empty.
type Context struct {
	// Provider is the CI system.
	Provider Provider `json:"provider"`
	// BuilderID identifies the build platform (the SLSA builder.id): a URI.
	BuilderID string `json:"builderId"`
	// RunID identifies the run within the system.
	RunID string `json:"runId,omitempty"`
	// RunURL links to the run (the SLSA invocation ID).
	RunURL string `json:"runUrl,omitempty"`
	// Repository is the source repository, as a URL where the system gives
	// one, otherwise as its path (owner/name).
	Repository string `json:"repository,omitempty"`
	// Commit is the commit being built.
	Commit string `json:"commit,omitempty"`
	// Ref is the branch or tag.
	Ref string `json:"ref,omitempty"`
	// Actor is the person or bot that triggered the run.
	Actor string `json:"actor,omitempty"`
	// Trigger is what started the run, in the system's words (push,
	// pull_request, schedule, manual, ...).
	Trigger string `json:"trigger,omitempty"`
}

// LookupFunc reads one environment variable, like os.LookupEnv.
type LookupFunc func(key string) (string, bool)

// detector recognizes one CI system and reads its context.
type detector struct {
	provider Provider
	// marker is the variable whose presence (non-empty) says the system
	// runs the job.
	marker string
	read   func(env) Context
}

// detectors in the order FromEnv tries them.
var detectors = []detector{
	{GitHubActions, "GITHUB_ACTIONS", readGitHub},
	{GitLabCI, "GITLAB_CI", readGitLab},
	{Buildkite, "BUILDKITE", readBuildkite},
	{CircleCI, "CIRCLECI", readCircleCI},
	{AzurePipelines, "TF_BUILD", readAzure},
	{Jenkins, "JENKINS_URL", readJenkins},
}

// FromEnv detects the CI system from the variables lookup returns and
// reads its context; with none recognized, it returns a Local context
// (the actor from USER or USERNAME). Pass os.LookupEnv in a CI job.
func FromEnv(lookup LookupFunc) Context {
	e := env(lookup)
	for _, d := range detectors {
		if e.get(d.marker) != "" {
			c := d.read(e)
			c.Provider = d.provider
			return c
		}
	}
	return Context{Provider: Local, BuilderID: LocalBuilderID, Actor: e.first("USER", "USERNAME")}
}

// env reads variables through a LookupFunc, trimming space.
type env LookupFunc

func (e env) get(key string) string {
	if e == nil {
		return ""
	}
	v, _ := e(key)
	return strings.TrimSpace(v)
}

// first returns the first non-empty variable of keys.
func (e env) first(keys ...string) string {
	for _, k := range keys {
		if v := e.get(k); v != "" {
			return v
		}
	}
	return ""
}

// join joins non-empty parts with "/", trimming the slashes between them;
// it returns "" if any part is empty.
func join(parts ...string) string {
	for i, p := range parts {
		if p == "" {
			return ""
		}
		if i > 0 {
			p = strings.TrimLeft(p, "/")
		}
		if i < len(parts)-1 {
			p = strings.TrimRight(p, "/")
		}
		parts[i] = p
	}
	return strings.Join(parts, "/")
}

func readGitHub(e env) Context {
	server := e.get("GITHUB_SERVER_URL")
	if server == "" {
		server = "https://github.com"
	}
	repo := e.get("GITHUB_REPOSITORY")
	runURL := join(server, repo, "actions/runs", e.get("GITHUB_RUN_ID"))
	if a := e.get("GITHUB_RUN_ATTEMPT"); runURL != "" && a != "" {
		runURL += "/attempts/" + a
	}
	builder := join(server, e.get("GITHUB_WORKFLOW_REF"))
	if builder == "" {
		builder = join(server, "actions/runner")
	}
	return Context{
		BuilderID:  builder,
		RunID:      e.get("GITHUB_RUN_ID"),
		RunURL:     runURL,
		Repository: join(server, repo),
		Commit:     e.get("GITHUB_SHA"),
		Ref:        e.get("GITHUB_REF"),
		Actor:      e.first("GITHUB_TRIGGERING_ACTOR", "GITHUB_ACTOR"),
		Trigger:    e.get("GITHUB_EVENT_NAME"),
	}
}

func readGitLab(e env) Context {
	server := e.first("CI_SERVER_URL")
	builder := join(server, e.get("CI_PROJECT_PATH"), "-/runners", e.get("CI_RUNNER_ID"))
	if builder == "" {
		builder = join(server, "-/runners")
	}
	return Context{
		BuilderID:  builder,
		RunID:      e.first("CI_JOB_ID", "CI_PIPELINE_ID"),
		RunURL:     e.first("CI_JOB_URL", "CI_PIPELINE_URL"),
		Repository: e.first("CI_PROJECT_URL", "CI_PROJECT_PATH"),
		Commit:     e.get("CI_COMMIT_SHA"),
		Ref:        e.first("CI_COMMIT_TAG", "CI_COMMIT_REF_NAME"),
		Actor:      e.get("GITLAB_USER_LOGIN"),
		Trigger:    e.get("CI_PIPELINE_SOURCE"),
	}
}

func readBuildkite(e env) Context {
	org, pipeline := e.get("BUILDKITE_ORGANIZATION_SLUG"), e.get("BUILDKITE_PIPELINE_SLUG")
	builder := join("https://buildkite.com", org, pipeline)
	if builder == "" {
		builder = "https://buildkite.com"
	}
	return Context{
		BuilderID:  builder,
		RunID:      e.get("BUILDKITE_BUILD_ID"),
		RunURL:     e.get("BUILDKITE_BUILD_URL"),
		Repository: e.get("BUILDKITE_REPO"),
		Commit:     e.get("BUILDKITE_COMMIT"),
		Ref:        e.first("BUILDKITE_TAG", "BUILDKITE_BRANCH"),
		Actor:      e.first("BUILDKITE_BUILD_CREATOR_EMAIL", "BUILDKITE_BUILD_CREATOR"),
		Trigger:    e.get("BUILDKITE_SOURCE"),
	}
}

func readCircleCI(e env) Context {
	trigger := "push"
	if e.get("CIRCLE_PULL_REQUEST") != "" {
		trigger = "pull_request"
	}
	if e.get("CIRCLE_TAG") != "" {
		trigger = "tag"
	}
	builder := join("https://circleci.com/gh", e.get("CIRCLE_PROJECT_USERNAME"), e.get("CIRCLE_PROJECT_REPONAME"))
	if builder == "" {
		builder = "https://circleci.com"
	}
	return Context{
		BuilderID:  builder,
		RunID:      e.first("CIRCLE_WORKFLOW_JOB_ID", "CIRCLE_BUILD_NUM"),
		RunURL:     e.get("CIRCLE_BUILD_URL"),
		Repository: e.get("CIRCLE_REPOSITORY_URL"),
		Commit:     e.get("CIRCLE_SHA1"),
		Ref:        e.first("CIRCLE_TAG", "CIRCLE_BRANCH"),
		Actor:      e.get("CIRCLE_USERNAME"),
		Trigger:    trigger,
	}
}

func readAzure(e env) Context {
	collection, project, build := e.get("SYSTEM_COLLECTIONURI"), e.get("SYSTEM_TEAMPROJECT"), e.get("BUILD_BUILDID")
	runURL := join(collection, project, "_build/results")
	if runURL != "" && build != "" {
		runURL += "?buildId=" + build
	} else {
		runURL = ""
	}
	builder := join(collection, project, "_build")
	if builder == "" {
		builder = "https://dev.azure.com"
	}
	return Context{
		BuilderID:  builder,
		RunID:      build,
		RunURL:     runURL,
		Repository: e.first("BUILD_REPOSITORY_URI", "BUILD_REPOSITORY_NAME"),
		Commit:     e.get("BUILD_SOURCEVERSION"),
		Ref:        e.get("BUILD_SOURCEBRANCH"),
		Actor:      e.first("BUILD_REQUESTEDFOREMAIL", "BUILD_REQUESTEDFOR"),
		Trigger:    e.get("BUILD_REASON"),
	}
}

func readJenkins(e env) Context {
	trigger := ""
	if e.get("CHANGE_ID") != "" {
		trigger = "pull_request"
	}
	return Context{
		BuilderID:  e.get("JENKINS_URL"),
		RunID:      e.first("BUILD_TAG", "BUILD_ID", "BUILD_NUMBER"),
		RunURL:     e.get("BUILD_URL"),
		Repository: e.first("GIT_URL", "CHANGE_URL"),
		Commit:     e.get("GIT_COMMIT"),
		Ref:        e.first("TAG_NAME", "BRANCH_NAME", "GIT_BRANCH"),
		Actor:      e.first("CHANGE_AUTHOR", "BUILD_USER_ID"),
		Trigger:    trigger,
	}
}
