// Package selfcontained holds only a test: that nothing committed in the
// repository reads test data from beside the checkout, so a fresh clone
// runs its tests with nothing next to it.
package selfcontained
