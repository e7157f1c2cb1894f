//go:build unix

package vuln_test

import (
	"syscall"
	"time"
)

// cpuTime is the user and system CPU time this process has used: on a
// shared machine a fairer measure of work than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
