package clusterset

// Ready implements the ready.Readiness interface: true once every watch has
// synced and the first snapshot is served, and while no watch is refused
// (a role without `watch` still syncs from its lists, then goes stale);
// false again once OnShutdown stopped the watch.
func (c *ClusterSet) Ready() bool {
	lc := c.running.Load()
	return lc != nil && !lc.stopped.Load() && lc.syncer.synced() && lc.syncer.current.Load() != nil &&
		(lc.watcher == nil || lc.watcher.permitted())
}
