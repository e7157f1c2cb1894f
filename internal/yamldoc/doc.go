// Package yamldoc decodes one YAML or JSON document strictly into Go
// structs by their `yaml` tags, recording where every field stands and
// every problem (unknown and duplicate fields, wrong types, invalid values,
// aliases) instead of stopping at the first. Packages turn the problems
// into their own typed errors. It keeps no state.
package yamldoc
