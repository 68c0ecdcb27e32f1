//go:build !linux

package early

// Snapshot is empty beyond Linux.
type Snapshot struct{}

// Start does nothing beyond Linux: the build looks at everything itself.
func Start(content string) {}

// Take has nothing to hand out beyond Linux.
func Take() *Snapshot { return nil }

// Stamps has none beyond Linux.
func (*Snapshot) Stamps(folder string, names []string) ([]Stamp, bool) { return nil, false }
