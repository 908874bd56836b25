//go:build race

package main

// raceEnabled: this test binary runs under the race detector, whose shadow
// memory would be counted in a child's RSS.
const raceEnabled = true
