package clusterset

import (
	"fmt"
	"sync"
)

// Reload hand-off. The reload plugin makes a new instance of every plugin
// from the new Corefile and starts it (OnStartup) while the old one still
// runs, then stops the old one (OnShutdown). The new instance's watches
// take a moment to sync, and it would answer SERVFAIL meanwhile. So each
// running instance offers itself when a restart begins (OnRestart), and a
// new instance with the same data source takes the offer: it answers from
// the old instance's latest snapshot, which the old one keeps current until
// it stops, until its own first snapshot is published.
//
// The same data source is the same server block keys, zones and watch
// options: the API server, credentials and selectors. The answer options
// may differ; until the first own snapshot the answers are then the old
// configuration's, which is what the old instance would have given.

// handoffs holds the offers of the instance being replaced, by source key.
var handoffs = struct {
	mu     sync.Mutex
	offers map[string]*lifecycle
}{offers: map[string]*lifecycle{}}

// sourceKeyOf identifies the data source of a configuration; see above.
func sourceKeyOf(serverBlockKeys []string, zones []zoneRecords, watch watchOptions) string {
	origins := make([]string, len(zones))
	for i := range zones {
		origins[i] = zones[i].origin
	}
	// %#v prints map keys sorted, so equal options print alike.
	return fmt.Sprintf("%q %q %#v", serverBlockKeys, origins, watch)
}

// offerHandoff runs when a restart begins: the running lifecycle becomes
// available to the instance that replaces this one.
func (c *ClusterSet) offerHandoff() error {
	if lc := c.running.Load(); lc != nil {
		handoffs.mu.Lock()
		handoffs.offers[c.sourceKey] = lc
		handoffs.mu.Unlock()
	}
	return nil
}

// withdrawHandoff runs when the restart failed, and at shutdown: the offer
// of this instance, if not taken, goes.
func (c *ClusterSet) withdrawHandoff() error {
	lc := c.running.Load()
	handoffs.mu.Lock()
	if lc != nil && handoffs.offers[c.sourceKey] == lc {
		delete(handoffs.offers, c.sourceKey)
	}
	handoffs.mu.Unlock()
	return nil
}

// takeHandoff returns the offered lifecycle of the same data source, or
// nil, and removes the offer.
func (c *ClusterSet) takeHandoff() *lifecycle {
	handoffs.mu.Lock()
	defer handoffs.mu.Unlock()
	lc := handoffs.offers[c.sourceKey]
	delete(handoffs.offers, c.sourceKey)
	return lc
}
