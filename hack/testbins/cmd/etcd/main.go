// Command etcd is etcd's own server main, built at exactly the version that
// k8s.io/kubernetes pins, for the integration test bed.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
