package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/route"
	"github.com/paved-dev/paved/capability/route/webhook"
)

// Route a gate failure to its control's owner by webhook; the receiver
// checks the signature.
func Example() {
	key := []byte("a shared secret of 16+ bytes")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := webhook.Verify(key, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
		fmt.Println("received", r.Header.Get(webhook.HeaderEvent), "signature ok:", err == nil)
	}))
	defer srv.Close()

	hook, err := webhook.New(srv.URL, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	router, err := route.New(capability.Default(), []route.Rule{{Route: "owners"}}, map[string]route.Notifier{"owners": hook})
	if err != nil {
		fmt.Println(err)
		return
	}
	ns, err := router.Route(route.Event{Kind: route.GateFailure, Control: "DSO-REL-01", Summary: "release gate: no approval"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("owner:", ns[0].Owner.Name, ns[0].Owner.Contact)
	if err := router.Notify(context.Background(), ns[0].Event); err != nil {
		fmt.Println(err)
	}
	// Output:
	// owner: Release Engineering releases@example.com
	// received gate_failure signature ok: true
}
