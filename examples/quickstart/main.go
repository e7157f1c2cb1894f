package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/paved-dev/paved/capability"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	m := capability.Default()
	if err := m.Validate(); err != nil {
		return err
	}
	s := m.Summarize()
	fmt.Fprintf(w, "%s\n", m.Name)
	if o, ok := m.OwnerByID(m.Owner); ok {
		fmt.Fprintf(w, "Programme owner: %s <%s>\n", o.Name, o.Contact)
	}
	fmt.Fprintf(w, "\n%d areas, %d capabilities, %d controls: %d mandatory, %d advisory (%d checked by people)\n\n",
		s.Areas, s.Capabilities, s.Controls, s.Mandatory, s.Advisory, s.Manual)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tTITLE\tCONTROLS\tOWNER")
	for _, a := range m.Areas {
		o, _ := m.OwnerByID(a.Owner)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", a.ID, a.Title, s.ControlsByArea[a.ID], o.Name)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "OWNER\tNAME\tCONTROLS\tCONTACT")
	for _, o := range m.Owners {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", o.ID, o.Name, s.ControlsByOwner[o.ID], o.Contact)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	backlog := m.Backlog(nil)
	work := map[capability.WorkKind]int{}
	for _, it := range backlog {
		work[it.Work]++
	}
	fmt.Fprintf(w, "\nInitial backlog: %d gaps (nothing has evidence yet): %d platform, %d security, %d delivery work\n\n",
		len(backlog), work[capability.PlatformWork], work[capability.SecurityWork], work[capability.DeliveryWork])
	return backlog.WriteMarkdown(w)
}
