package secret_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/paved-dev/paved/supplychain/secret"
)

// Scan a directory with gitleaks' default rules plus a team rule, and
// print where the secrets are: the report holds no secret to print.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "secret")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// Secrets built at run time, so that this file holds none.
	key := "AKIA" + strings.Join([]string{"Q3T7", "ZK2M", "P6WB", "R4XN"}, "")
	token := "acme_" + strings.Repeat("7f3a", 8)
	files := map[string]string{
		"deploy/prod.env": "REGION=eu-west-1\nAWS_ACCESS_KEY_ID=" + key + "\n",
		"client.go":       "package client\n\nconst apiToken = \"" + token + "\"\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Println(err)
			return
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			fmt.Println(err)
			return
		}
	}

	cfg, err := secret.ParseConfig("team.toml", []byte(`
[[rules]]
id = "acme-token"
description = "ACME API token"
regex = '''\b(acme_[a-f0-9]{32})\b'''
keywords = ["acme_"]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	scanner, err := secret.New(secret.WithConfig(cfg))
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := scanner.ScanPath(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		fmt.Printf("%s:%d:%d %s\n", f.File, f.StartLine, f.StartColumn, f.RuleID)
	}
	// Output:
	// client.go:3:19 acme-token
	// deploy/prod.env:2:19 aws-access-token
}
