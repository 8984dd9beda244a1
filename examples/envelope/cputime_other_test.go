//go:build !unix

package main

import "time"

// cpuTime is not measured here: CPU ratios read NaN.
func cpuTime() time.Duration { return 0 }
