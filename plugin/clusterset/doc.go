// Package clusterset is a CoreDNS plugin that serves Kubernetes
// Multi-Cluster Services DNS (KEP-1645): it answers the clusterset zone
// (clusterset.local by default) from the ServiceImports and imported
// EndpointSlices of the cluster it runs in.
//
// The data flows one way, and each step lives in its own files:
//
//	API server ──watch──▶ watch side ──service keys──▶ sync loop ──▶ snapshot ◀── handler ◀── query
//	                      controller.go  queue.go        sync.go       (immutable,   handler.go
//	                      object/convert (coalesced)     builder       swapped       reply.go
//	                      kubeclient.go                  (records for   atomically)
//	                                                      one service)
//
// The builder, the snapshot and the grammar of the names are the answer
// side, in package internal/answer: pure, it imports the standard library,
// miekg/dns and the types-only package object, and a test fails if it ever
// depends on client-go, k8s.io/api or mcs-api. This package is the plugin
// around it: the Corefile (setup.go), the watch side, the sync loop, and
// the handler, which admits a query, asks the snapshot's Lookup and
// writes the reply. It may import CoreDNS, client-go, mcs-api and
// prometheus; only its watch side (and object/convert, and
// object/importdecode and object/slicedecode, which decode watched
// ServiceImports and EndpointSlices into only what the conversion reads)
// touches the API types.
//
// The steps:
//
//  1. The watch side is the only code that knows client-go and mcs-api. Its
//     informers keep trimmed copies of ServiceImports (v1beta1, or v1alpha1
//     where the API serves only that), EndpointSlices labelled with
//     multicluster.kubernetes.io/service-name, and Namespaces; and, when the
//     Corefile asks, ClusterProperties (KEP-2149: this cluster's ID, its
//     topology, the unreachable clusters; clusterproperty.go). Its event
//     handlers do no DNS work: they queue the key of the service a change
//     touches (every key, when a ClusterProperty changes).
//  2. The sync loop takes the queued keys in batches, asks the builder for
//     each service's answers, and publishes a new snapshot when one of them
//     changed. The builder applies every rule of the MCS DNS contract and
//     skips (and reports) bad data piece by piece. Once per batch the sync
//     loop resolves the locality (internal/answer/locality.go): the cluster, zone and
//     unreachable clusters the builder orders and filters endpoints by.
//  3. A snapshot maps each service to its prepared answers, in 64 shards:
//     compact (addresses as bytes, SRV records as target, port and
//     priority, endpoints' names in a table rather than a node each) and
//     without owner names, so one copy serves every zone. A new snapshot
//     copies only the shards a change touches and shares every unchanged
//     service with the old one. The SOA serial moves only when an answer
//     changed.
//  4. The handler looks the query name up in the current snapshot and
//     makes the records into the reply, owned by the query name: no lock,
//     nothing decided per query, one allocation for a ClusterSetIP or
//     negative answer. The reason for an empty answer is prepared too, and
//     sent as an Extended DNS Error (explain.go).
//
// Around that flow, two things keep answers coming when the API or the
// configuration changes under the plugin:
//
//   - A probe (watch_health.go) tells when the API server stops and starts
//     answering; at its return every watch restarts at once with a fresh
//     list (restart.go) instead of waiting out client-go's back-off, while
//     the old caches keep serving until the new lists are complete.
//   - On a reload, the new instance answers from the old one's latest
//     snapshot until its own first one, when the data source is the same
//     (handoff.go). Before any snapshot the plugin answers SERVFAIL, from
//     the first moment: OnStartup does not wait (lifecycle.go).
package clusterset
