package capability_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/paved-dev/paved/capability"
)

var sentinels = []error{
	capability.ErrSyntax, capability.ErrTooLarge, capability.ErrUnknownField, capability.ErrDuplicateField,
	capability.ErrInvalidValue, capability.ErrRequired, capability.ErrDuplicateID, capability.ErrDanglingReference,
	capability.ErrNoOwner, capability.ErrUnenforceable, capability.ErrSelfApproval, capability.ErrUnauthorizedApprover,
	capability.ErrExpired, capability.ErrExpiryTooLong, capability.ErrUnknownIdentity, capability.ErrPromotionCycle,
}

// FuzzLoad feeds arbitrary bytes to Load. It must never panic; a rejected
// document yields only *FieldError values that wrap a sentinel, and an
// accepted one validates again and renders.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/valid.yaml", "testdata/valid.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(capability.DefaultDocument())
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := capability.Load(bytes.NewReader(data), capability.WithClock(clock))
		if err != nil {
			for _, part := range unjoin(err) {
				var fe *capability.FieldError
				if !errors.As(part, &fe) {
					t.Fatalf("not a *FieldError: %T %v", part, part)
				}
				if !wrapsSentinel(fe) {
					t.Fatalf("wraps no sentinel: %v", fe)
				}
				_ = fe.Error()
			}
			return
		}
		if err := m.ValidateAt(now); err != nil {
			t.Fatalf("loaded map fails validation: %v", err)
		}
		if err := m.WriteMarkdown(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := m.Backlog(nil).WriteCSV(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
