package exporter

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"
)

// The two clusters every integration test of the package shares: real etcd
// and kube-apiserver pairs with the MCS CRDs. Each test works in namespaces
// of its own. They start on first use, so that the unit tests need no
// binaries.
var clusterPair struct {
	once       sync.Once
	east, west *testbed.Bed
	err        error
}

// The cluster IDs; one is dotted, as KEP-2149 allows.
const (
	eastID = "east"
	westID = "west.example"
)

func TestMain(m *testing.M) {
	code := m.Run()
	clusterPair.east.Stop()
	clusterPair.west.Stop()
	os.Exit(code)
}

// beds returns the shared pair, started in parallel on first use.
func beds(t *testing.T) (east, west *testbed.Bed) {
	t.Helper()
	clusterPair.once.Do(func() {
		begin := time.Now()
		ctx := context.Background()
		var wg sync.WaitGroup
		var eastErr, westErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			clusterPair.east, eastErr = testbed.Start(ctx, testbed.Options{Logf: log.Printf})
		}()
		go func() {
			defer wg.Done()
			clusterPair.west, westErr = testbed.Start(ctx, testbed.Options{Logf: log.Printf})
		}()
		wg.Wait()
		switch {
		case eastErr != nil:
			clusterPair.err = fmt.Errorf("cluster %s: %w", eastID, eastErr)
		case westErr != nil:
			clusterPair.err = fmt.Errorf("cluster %s: %w", westID, westErr)
		}
		log.Printf("two test beds up in %v", time.Since(begin).Round(time.Millisecond))
	})
	if clusterPair.err != nil {
		t.Fatalf("test beds: %v", clusterPair.err)
	}
	return clusterPair.east, clusterPair.west
}
