//go:build !race

package kms

// RaceEnabled scales the heaviest tests down under the race detector,
// which makes them ten times slower; what they check stays the same.
const RaceEnabled = false
