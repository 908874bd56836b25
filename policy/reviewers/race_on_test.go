//go:build race

package reviewers

// raceEnabled: the race detector slows matching about tenfold, so the
// hostile-file test uses smaller files that still exceed the work bound.
const raceEnabled = true
