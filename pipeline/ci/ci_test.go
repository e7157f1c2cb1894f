package ci_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-dev/paved/pipeline/ci"
)

// lookup serves variables from a map, as os.LookupEnv would.
func lookup(m map[string]string) ci.LookupFunc {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want ci.Context
	}{
		{"github actions", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/api",
			"GITHUB_RUN_ID": "9001", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_SHA": "a1b2", "GITHUB_REF": "refs/heads/main",
			"GITHUB_ACTOR": "dev", "GITHUB_TRIGGERING_ACTOR": "octo", "GITHUB_EVENT_NAME": "push",
			"GITHUB_WORKFLOW_REF": "acme/api/.github/workflows/ci.yml@refs/heads/main",
		}, ci.Context{Provider: ci.GitHubActions, BuilderID: "https://github.com/acme/api/.github/workflows/ci.yml@refs/heads/main",
			RunID: "9001", RunURL: "https://github.com/acme/api/actions/runs/9001/attempts/2", Repository: "https://github.com/acme/api",
			Commit: "a1b2", Ref: "refs/heads/main", Actor: "octo", Trigger: "push"}},
		{"github enterprise without a workflow ref", map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://ghe.example.com/", "GITHUB_REPOSITORY": "acme/api", "GITHUB_RUN_ID": "7",
		}, ci.Context{Provider: ci.GitHubActions, BuilderID: "https://ghe.example.com/actions/runner", RunID: "7",
			RunURL: "https://ghe.example.com/acme/api/actions/runs/7", Repository: "https://ghe.example.com/acme/api"}},
		{"gitlab", map[string]string{
			"GITLAB_CI": "true", "CI_SERVER_URL": "https://gitlab.example.com", "CI_PROJECT_PATH": "acme/api", "CI_RUNNER_ID": "12",
			"CI_JOB_ID": "345", "CI_JOB_URL": "https://gitlab.example.com/acme/api/-/jobs/345", "CI_PROJECT_URL": "https://gitlab.example.com/acme/api",
			"CI_COMMIT_SHA": "c3d4", "CI_COMMIT_REF_NAME": "main", "GITLAB_USER_LOGIN": "dev", "CI_PIPELINE_SOURCE": "merge_request_event",
		}, ci.Context{Provider: ci.GitLabCI, BuilderID: "https://gitlab.example.com/acme/api/-/runners/12", RunID: "345",
			RunURL: "https://gitlab.example.com/acme/api/-/jobs/345", Repository: "https://gitlab.example.com/acme/api",
			Commit: "c3d4", Ref: "main", Actor: "dev", Trigger: "merge_request_event"}},
		{"buildkite", map[string]string{
			"BUILDKITE": "true", "BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "api", "BUILDKITE_BUILD_ID": "b-1",
			"BUILDKITE_BUILD_URL": "https://buildkite.com/acme/api/builds/4", "BUILDKITE_REPO": "git@github.com:acme/api.git",
			"BUILDKITE_COMMIT": "e5f6", "BUILDKITE_BRANCH": "main", "BUILDKITE_BUILD_CREATOR_EMAIL": "dev@example.com", "BUILDKITE_SOURCE": "webhook",
		}, ci.Context{Provider: ci.Buildkite, BuilderID: "https://buildkite.com/acme/api", RunID: "b-1",
			RunURL: "https://buildkite.com/acme/api/builds/4", Repository: "git@github.com:acme/api.git",
			Commit: "e5f6", Ref: "main", Actor: "dev@example.com", Trigger: "webhook"}},
		{"circleci pull request", map[string]string{
			"CIRCLECI": "true", "CIRCLE_PROJECT_USERNAME": "acme", "CIRCLE_PROJECT_REPONAME": "api", "CIRCLE_BUILD_NUM": "88",
			"CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/api/88", "CIRCLE_REPOSITORY_URL": "https://github.com/acme/api",
			"CIRCLE_SHA1": "0a0b", "CIRCLE_BRANCH": "feature", "CIRCLE_USERNAME": "dev", "CIRCLE_PULL_REQUEST": "https://github.com/acme/api/pull/3",
		}, ci.Context{Provider: ci.CircleCI, BuilderID: "https://circleci.com/gh/acme/api", RunID: "88",
			RunURL: "https://circleci.com/gh/acme/api/88", Repository: "https://github.com/acme/api",
			Commit: "0a0b", Ref: "feature", Actor: "dev", Trigger: "pull_request"}},
		{"azure pipelines", map[string]string{
			"TF_BUILD": "True", "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/", "SYSTEM_TEAMPROJECT": "api", "BUILD_BUILDID": "55",
			"BUILD_REPOSITORY_URI": "https://dev.azure.com/acme/api/_git/api", "BUILD_SOURCEVERSION": "1c1d",
			"BUILD_SOURCEBRANCH": "refs/heads/main", "BUILD_REQUESTEDFOREMAIL": "dev@example.com", "BUILD_REASON": "IndividualCI",
		}, ci.Context{Provider: ci.AzurePipelines, BuilderID: "https://dev.azure.com/acme/api/_build", RunID: "55",
			RunURL: "https://dev.azure.com/acme/api/_build/results?buildId=55", Repository: "https://dev.azure.com/acme/api/_git/api",
			Commit: "1c1d", Ref: "refs/heads/main", Actor: "dev@example.com", Trigger: "IndividualCI"}},
		{"jenkins multibranch pull request", map[string]string{
			"JENKINS_URL": "https://jenkins.example.com/", "BUILD_TAG": "jenkins-api-PR-3-1", "BUILD_URL": "https://jenkins.example.com/job/api/job/PR-3/1/",
			"GIT_URL": "https://github.com/acme/api.git", "GIT_COMMIT": "2e2f", "BRANCH_NAME": "PR-3", "CHANGE_ID": "3", "CHANGE_AUTHOR": "dev",
		}, ci.Context{Provider: ci.Jenkins, BuilderID: "https://jenkins.example.com/", RunID: "jenkins-api-PR-3-1",
			RunURL: "https://jenkins.example.com/job/api/job/PR-3/1/", Repository: "https://github.com/acme/api.git",
			Commit: "2e2f", Ref: "PR-3", Actor: "dev", Trigger: "pull_request"}},
		{"local", map[string]string{"USER": "alice", "GITHUB_SHA": "ignored without GITHUB_ACTIONS"},
			ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID, Actor: "alice"}},
		{"empty marker is no marker", map[string]string{"GITLAB_CI": " ", "USERNAME": "bob"},
			ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID, Actor: "bob"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ci.FromEnv(lookup(tt.env)))
		})
	}
	assert.Equal(t, ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID}, ci.FromEnv(nil), "a nil lookup reads nothing")
}

// FromEnv reads the CI context through the lookup it is given; in a real
// job, pass os.LookupEnv.
func ExampleFromEnv() {
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/api", "GITHUB_RUN_ID": "9001",
		"GITHUB_SHA": "4f1c2d3", "GITHUB_REF": "refs/heads/main", "GITHUB_ACTOR": "octo", "GITHUB_EVENT_NAME": "push",
	}
	c := ci.FromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	fmt.Println(c.Provider, c.Commit, c.Actor, c.Trigger)
	fmt.Println(c.RunURL)
	// Output:
	// github-actions 4f1c2d3 octo push
	// https://github.com/acme/api/actions/runs/9001
}
