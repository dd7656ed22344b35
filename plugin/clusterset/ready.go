package clusterset

// Ready implements the ready.Readiness interface: true once every watch has
// synced and the first snapshot is served.
func (c *ClusterSet) Ready() bool {
	lc := c.running.Load()
	return lc != nil && lc.syncer.synced() && lc.syncer.current.Load() != nil
}
