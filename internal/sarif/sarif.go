package sarif

import (
	"encoding/json"
	"fmt"
)

// Version and SchemaURI identify the format a Log is written in.
const (
	Version   = "2.1.0"
	SchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
)

// Log is a SARIF log.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of a tool.
type Run struct {
	Tool       Tool           `json:"tool"`
	Results    []Result       `json:"results"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Tool names the tool that ran.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool's main component and its rules.
type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri,omitempty"`
	Rules          []Rule `json:"rules"`
}

// Rule is one rule (a check, a control, a vulnerability) results refer to.
type Rule struct {
	ID               string         `json:"id"`
	ShortDescription Message        `json:"shortDescription"`
	Properties       map[string]any `json:"properties,omitempty"`
}

// Message is a plain-text message.
type Message struct {
	Text string `json:"text"`
}

// Result is one finding.
type Result struct {
	RuleID string `json:"ruleId"`
	// RuleIndex points into the driver's rules; nil leaves it out.
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level,omitempty"`
	Message             Message           `json:"message"`
	Locations           []Location        `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Suppressions        []Suppression     `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// Location is where a result is: in a file, or in a logical place (a
// module, a service).
type Location struct {
	PhysicalLocation *PhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []LogicalLocation `json:"logicalLocations,omitempty"`
}

// PhysicalLocation is a region of a file.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// ArtifactLocation names a file by URI (a relative path is a relative
// URI).
type ArtifactLocation struct {
	URI string `json:"uri"`
}

// Region is a span of lines and columns, 1-based; EndColumn is exclusive.
type Region struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

// LogicalLocation is a named place that is not a file.
type LogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// Suppression says a result is accepted, and why.
type Suppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// Levels of a result.
const (
	Error   = "error"
	Warning = "warning"
	Note    = "note"
	None    = "none"
)

// New returns a log of runs, stamped with the version and schema.
func New(runs ...Run) Log {
	return Log{Schema: SchemaURI, Version: Version, Runs: runs}
}

// Marshal encodes the log as indented JSON, with empty rule and result
// lists written as [] (SARIF requires the arrays).
func (l Log) Marshal() ([]byte, error) {
	for i := range l.Runs {
		if l.Runs[i].Results == nil {
			l.Runs[i].Results = []Result{}
		}
		if l.Runs[i].Tool.Driver.Rules == nil {
			l.Runs[i].Tool.Driver.Rules = []Rule{}
		}
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sarif: %w", err)
	}
	return b, nil
}

// Parse decodes a SARIF log and checks its version; it reads the fields
// this package models and ignores the rest.
func Parse(data []byte) (*Log, error) {
	var l Log
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("sarif: %w", err)
	}
	if l.Version != Version {
		return nil, fmt.Errorf("sarif: version %q, want %s", l.Version, Version)
	}
	return &l, nil
}
