package clusterset

// Ready implements the ready.Readiness interface: true once every watch has
// synced and the first snapshot is served, and while no watch is refused
// (a role without `watch` still syncs from its lists, then goes stale).
//
// After a reload that kept the data source, it is true from the start: the
// instance answers from its predecessor's data (handoff.go), which is what
// the predecessor, ready, would answer, and a reload must not take every
// replica out of its Service at once. It turns false once OnShutdown has
// stopped the watch, so that a terminating pod stops serving in its
// endpoints: only then does kube-proxy delete the UDP conntrack entries
// that still lead clients to it, before the lameduck wait ends.
func (c *ClusterSet) Ready() bool {
	lc := c.running.Load()
	if lc == nil || lc.stopped.Load() {
		return false
	}
	if lc.inherited.Load() != nil {
		return true
	}
	return lc.syncer.synced() && lc.syncer.current.Load() != nil &&
		(lc.watcher == nil || lc.watcher.permitted())
}
