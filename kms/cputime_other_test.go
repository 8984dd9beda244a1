//go:build !unix

package kms_test

import "time"

// cpuTime is not measured here: BenchmarkGoals's CPU ratio reads NaN.
func cpuTime() time.Duration { return 0 }
