package yamldoc_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/yamldoc"
)

type level string

func (l *level) UnmarshalText(b []byte) error {
	if s := string(b); s == "low" || s == "high" {
		*l = level(s)
		return nil
	}
	return fmt.Errorf("%q is not low or high", b)
}

type item struct {
	Name  string    `yaml:"name"`
	Level level     `yaml:"level"`
	On    bool      `yaml:"on"`
	Count int       `yaml:"count"`
	At    time.Time `yaml:"at"`
}

type doc struct {
	Title string              `yaml:"title"`
	Items []item              `yaml:"items"`
	Tags  map[string][]string `yaml:"tags"`
	Skip  string
}

func TestDecode(t *testing.T) {
	var d doc
	pos, problems := yamldoc.Decode([]byte(`title: t
items:
  - name: a
    level: high
    on: true
    count: 3
    at: 2026-01-02
tags:
  x: [1, 2]
`), &d)
	require.Empty(t, problems)
	assert.Equal(t, doc{
		Title: "t",
		Items: []item{{Name: "a", Level: "high", On: true, Count: 3, At: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}},
		Tags:  map[string][]string{"x": {"1", "2"}},
	}, d)
	assert.Equal(t, yamldoc.Pos{Line: 4, Column: 12}, pos["items[0].level"])
	assert.Equal(t, yamldoc.Pos{Line: 9, Column: 6}, pos["tags.x"])
	assert.Equal(t, yamldoc.Pos{Line: 3, Column: 5}, pos.Lookup("items[0].missing"), "a missing field is located at its parent")
	assert.Equal(t, yamldoc.Pos{Line: 1, Column: 1}, pos.Lookup("nowhere"))
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		want  error
		field string
		pos   yamldoc.Pos
	}{
		{"syntax", "title: [", yamldoc.ErrSyntax, "", yamldoc.Pos{Line: 1}},
		{"json syntax", `{"title": }`, yamldoc.ErrSyntax, "", yamldoc.Pos{Line: 1, Column: 11}},
		{"unknown", "title: t\ntitel: t\n", yamldoc.ErrUnknownField, "titel", yamldoc.Pos{Line: 2, Column: 1}},
		{"untagged fields are not decoded", "Skip: x\n", yamldoc.ErrUnknownField, "Skip", yamldoc.Pos{Line: 1, Column: 1}},
		{"duplicate", "title: a\ntitle: b\n", yamldoc.ErrDuplicateField, "title", yamldoc.Pos{Line: 2, Column: 1}},
		{"duplicate map key", "tags: {a: [], a: []}\n", yamldoc.ErrDuplicateField, "tags.a", yamldoc.Pos{Line: 1, Column: 15}},
		{"text unmarshaler", "items: [{level: mid}]\n", yamldoc.ErrInvalidValue, "items[0].level", yamldoc.Pos{Line: 1, Column: 17}},
		{"bool", "items: [{on: 1}]\n", yamldoc.ErrInvalidValue, "items[0].on", yamldoc.Pos{Line: 1, Column: 14}},
		{"int", "items: [{count: many}]\n", yamldoc.ErrInvalidValue, "items[0].count", yamldoc.Pos{Line: 1, Column: 17}},
		{"time", "items: [{at: soon}]\n", yamldoc.ErrInvalidValue, "items[0].at", yamldoc.Pos{Line: 1, Column: 14}},
		{"list expected", "items: x\n", yamldoc.ErrInvalidValue, "items", yamldoc.Pos{Line: 1, Column: 8}},
		{"object expected", "[1]\n", yamldoc.ErrInvalidValue, "", yamldoc.Pos{Line: 1, Column: 1}},
		{"alias", "title: &a x\nitems: *a\n", yamldoc.ErrInvalidValue, "items", yamldoc.Pos{Line: 2, Column: 8}},
		{"two documents", "title: a\n---\ntitle: b\n", yamldoc.ErrSyntax, "", yamldoc.Pos{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			_, problems := yamldoc.Decode([]byte(tt.doc), &d)
			require.NotEmpty(t, problems)
			p := problems[0]
			assert.True(t, errors.Is(p.Err, tt.want), "%v", p.Err)
			assert.Equal(t, tt.field, p.Field)
			assert.Equal(t, tt.pos, p.Pos)
		})
	}
}

func TestDecodeReportsEveryProblem(t *testing.T) {
	var d doc
	_, problems := yamldoc.Decode([]byte("a: 1\nb: 2\nitems: [{level: x}, {on: maybe}]\n"), &d)
	var fields []string
	for _, p := range problems {
		fields = append(fields, p.Field)
	}
	assert.Equal(t, []string{"a", "b", "items[0].level", "items[1].on"}, fields)
}

func ExampleDecode() {
	var v struct {
		Name string `yaml:"name"`
	}
	_, problems := yamldoc.Decode([]byte("name: paved\nnmae: typo\n"), &v)
	for _, p := range problems {
		fmt.Printf("%d:%d %s: %v\n", p.Pos.Line, p.Pos.Column, p.Field, p.Err)
	}
	// Output:
	// 2:1 nmae: unknown field: "nmae" is not a field of this object
}
