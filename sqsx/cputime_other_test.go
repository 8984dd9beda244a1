//go:build !unix

package sqsx_test

import "time"

// cpuTime is not known here: reportCPU reports nothing.
func cpuTime() time.Duration { return 0 }
