//go:build !race

package reviewers

const raceEnabled = false
