package sbom

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// licenseFiles are the file names, lowercased and without extension, that
// detectLicense reads.
var licenseFiles = []string{"license", "licence", "copying", "license-mit", "license-apache"}

// licenseRules recognise common license texts by phrases each one has and
// the others lack; the first rule whose phrases all occur wins.
var licenseRules = []struct {
	id      string
	phrases []string
}{
	{"Apache-2.0", []string{"apache license", "version 2.0"}},
	{"MPL-2.0", []string{"mozilla public license", "2.0"}},
	{"MIT", []string{"permission is hereby granted, free of charge"}},
	{"ISC", []string{"permission to use, copy, modify, and/or distribute this software for any purpose"}},
	{"BSD-3-Clause", []string{"redistribution and use in source and binary forms", "neither the name"}},
	{"BSD-2-Clause", []string{"redistribution and use in source and binary forms"}},
	{"Unlicense", []string{"this is free and unencumbered software released into the public domain"}},
}

// detectLicense returns the SPDX ID of the license in the top-level
// license file of the module in dir, or "" when there is no such file or
// its text is not one paved recognises.
func detectLicense(dir string) string {
	if dir == "" {
		return ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		name := strings.ToLower(e.Name())
		base := strings.TrimSuffix(name, filepath.Ext(name))
		if e.IsDir() || !slices.Contains(licenseFiles, base) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if id := classifyLicense(string(data)); id != "" {
			return id
		}
	}
	return ""
}

// classifyLicense returns the SPDX ID of a license text, "" if unknown.
func classifyLicense(text string) string {
	t := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	for _, r := range licenseRules {
		all := true
		for _, p := range r.phrases {
			if !strings.Contains(t, p) {
				all = false
				break
			}
		}
		if all {
			return r.id
		}
	}
	return ""
}
