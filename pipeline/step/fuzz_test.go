package step_test

import (
	"bytes"
	"testing"

	"github.com/paved-dev/paved/pipeline/step"
)

func FuzzParseGoTestJSON(f *testing.F) {
	f.Add([]byte("{\"Action\":\"pass\",\"Package\":\"a\",\"Test\":\"T\"}\n{\"Action\":\"fail\",\"Package\":\"b\"}\n"))
	f.Add([]byte("# b\nb.go:1: syntax error\n{\"Action\":\"skip\",\"Package\":\"c\",\"Test\":\"S\"}"))
	f.Add([]byte("{\"Action\": 3}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := step.ParseGoTestJSON(bytes.NewReader(data))
		if err == nil && run == nil {
			t.Fatal("nil run without error")
		}
	})
}

func FuzzParseJUnit(f *testing.F) {
	f.Add([]byte(`<testsuites><testsuite name="s"><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite></testsuites>`))
	f.Add([]byte(`<testsuite><testcase classname="c" name="d"><skipped/></testcase><testsuite><testcase name="e"><error/></testcase></testsuite></testsuite>`))
	f.Add([]byte(`<html/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := step.ParseJUnit(data)
		if err == nil && run == nil {
			t.Fatal("nil run without error")
		}
	})
}

func FuzzParseSARIF(f *testing.F) {
	f.Add([]byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"R","level":"error"}]}]}`))
	f.Add([]byte(`{"version":"2.1.0","runs":[]}`))
	f.Add([]byte(`{"version":"1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := step.ParseSARIF(data)
		if err == nil && sum == nil {
			t.Fatal("nil summary without error")
		}
	})
}
