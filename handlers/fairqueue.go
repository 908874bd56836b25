package handlers

// The jobs of the events that came later take their place in the store's
// fair queue like the others (docs/queue.md).

// InstallationID places the job in the store's fair queue.
func (a mergeGroupArgs) InstallationID() int64 { return a.Installation }

// InstallationID places the job in the store's fair queue.
func (a orgPolicyArgs) InstallationID() int64 { return a.Installation }
