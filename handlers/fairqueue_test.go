package handlers

import "github.com/reviewpolicy/reviewpolicy/store"

// Every job of one installation takes its place in the store's fair queue.
var (
	_ store.InstallationJob = evaluateArgs{}
	_ store.InstallationJob = slaTimerArgs{}
	_ store.InstallationJob = reconcileArgs{}
	_ store.InstallationJob = mergeGroupArgs{}
	_ store.InstallationJob = orgPolicyArgs{}
)
