package evidencetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paved-dev/paved/evidence"
)

// crashEnv tells a re-executed test binary to act as the crash test's
// appender, and where to append.
const crashEnv = "PAVED_EVIDENCE_CRASH_TARGET"

// CrashTest kills an appending process at random moments and checks that
// nothing acknowledged is lost: a child process (this test binary run
// again, running the calling test) appends signed records in a loop and
// prints each record's ID once Append has returned; it is killed with
// SIGKILL after a random delay, kills times. After each kill the store
// opens, Audit passes, and every printed record is there.
//
// newTarget makes a fresh store location (a file path, a connection string
// to an empty schema), called in the parent only; open opens the backend at
// a target. The calling test must call CrashTest first thing: in the child
// it appends until killed and never returns.
func CrashTest(t *testing.T, kills int, newTarget func(t *testing.T) string, open func(t testing.TB, target string) evidence.Backend) {
	if child := os.Getenv(crashEnv); child != "" {
		crashChild(t, child, open)
		return
	}
	ctx := context.Background()
	target := newTarget(t)
	acknowledged := map[string]bool{}
	for round := range kills {
		cmd := exec.Command(os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+target, "PAVED_EVIDENCE_CRASH_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		ids := make(chan string, 1<<16)
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "ready" {
					close(ready)
				}
				if id, ok := strings.CutPrefix(sc.Text(), "appended "); ok {
					ids <- id
				}
			}
			close(ids)
		}()
		// The kill lands at a random moment of the append loop, not
		// during the child's start-up (slow on a loaded machine).
		select {
		case <-ready:
		case <-time.After(2 * time.Minute):
		}
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		for id := range ids {
			acknowledged[id] = true
		}
		var exit *exec.ExitError
		if err := cmd.Wait(); err != nil && !errors.As(err, &exit) {
			t.Fatalf("round %d: %v", round, err)
		}

		b := open(t, target)
		s, err := evidence.Open(ctx, b, evidence.WithoutVerificationUnsafe())
		must(t, err)
		if _, err := s.Audit(ctx); err != nil {
			t.Fatalf("round %d: audit after SIGKILL: %v", round, err)
		}
		for id := range acknowledged {
			if _, err := s.Get(ctx, id); err != nil {
				t.Fatalf("round %d: acknowledged record %s lost: %v", round, id, err)
			}
		}
		must(t, s.Close(ctx))
	}
	if len(acknowledged) == 0 {
		t.Fatal("the child never acknowledged an append: the test proved nothing")
	}
	t.Logf("%d kills, %d acknowledged records, none lost", kills, len(acknowledged))
}

// crashChild appends until killed, printing each acknowledged record.
func crashChild(t *testing.T, target string, open func(t testing.TB, target string) evidence.Backend) {
	ctx := context.Background()
	f := newFixture(t)
	s, err := evidence.Open(ctx, open(t, target), evidence.WithTrust(f.trust))
	must(t, err)
	round, _ := strconv.Atoi(os.Getenv("PAVED_EVIDENCE_CRASH_ROUND"))
	fmt.Println("ready")
	for i := 0; ; i++ {
		n := round*1_000_000 + i
		batch := []evidence.Entry{f.entry(t, n*2, "build", nil), f.entry(t, n*2+1, "build", nil)}
		recs, err := s.Append(ctx, batch...)
		must(t, err)
		for _, r := range recs {
			fmt.Printf("appended %s\n", r.ID)
		}
	}
}
