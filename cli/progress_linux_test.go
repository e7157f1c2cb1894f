package cli

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the side a program writes to
// and the side that reads what it wrote.
func openPTY(t *testing.T) (term, reader *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no pseudo-terminals: %v", err)
		}
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { slave.Close() })
	return slave, master
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	cmd := &cobra.Command{}
	var buf bytes.Buffer
	cmd.SetErr(&buf)
	progress(cmd, "scanning")()
	assert.Empty(t, buf.String(), "nothing when stderr is not a terminal")

	tty, reader := openPTY(t)
	cmd.SetErr(tty)
	stop := progress(cmd, "scanning src")
	time.Sleep(300 * time.Millisecond)
	stop()
	out := make([]byte, 4096)
	require.NoError(t, reader.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := reader.Read(out)
	require.NoError(t, err)
	assert.Contains(t, string(out[:n]), "| scanning src (0s)")
	assert.Contains(t, string(out[:n]), "/ scanning src (0s)", "it turns")
}
