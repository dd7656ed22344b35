package clusterset

import (
	"github.com/coredns/coredns/plugin"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// reason is why a name has no answer, when the plugin knows it: the builder
// stores it beside the records, the handler turns it into an Extended DNS
// Error (RFC 8914) with `extended_errors`. Zero means no known reason.
type reason uint8

const (
	reasonNone reason = iota
	reasonNotSynced
	reasonNamespaceDenied
	reasonNamespaceAbsent
	reasonAddressFiltered
	reasonNoReadyEndpoints
	reasonNoIPv4
	reasonNoIPv6
	reasonSlicesAbsent
	reasonCount
)

// explanation is what a reason puts on the wire and in the metric.
type explanation struct {
	// label is the value of the reason label of the counter.
	label string
	// code is the RFC 8914 INFO-CODE: 14 Not Ready, 15 Blocked (by the
	// server's own policy), 0 Other where no code fits.
	code uint16
	// text is the EXTRA-TEXT, kept short: it rides in every such answer.
	text string
}

var explanations = [reasonCount]explanation{
	reasonNotSynced:        {"not_synced", dns.ExtendedErrorCodeNotReady, "clusterset: not synced with the API yet"},
	reasonNamespaceDenied:  {"namespace_denied", dns.ExtendedErrorCodeBlocked, "clusterset: namespace denied by policy"},
	reasonNamespaceAbsent:  {"namespace_absent", dns.ExtendedErrorCodeOther, "clusterset: namespace not present in this cluster"},
	reasonAddressFiltered:  {"address_filtered", dns.ExtendedErrorCodeBlocked, "clusterset: addresses filtered by policy"},
	reasonNoReadyEndpoints: {"no_ready_endpoints", dns.ExtendedErrorCodeOther, "clusterset: no ready endpoints"},
	reasonNoIPv4:           {"family_not_exported", dns.ExtendedErrorCodeOther, "clusterset: no IPv4 address exported"},
	reasonNoIPv6:           {"family_not_exported", dns.ExtendedErrorCodeOther, "clusterset: no IPv6 address exported"},
	reasonSlicesAbsent:     {"endpoint_slices_absent", dns.ExtendedErrorCodeOther, "clusterset: endpointSliceObjects is Absent"},
}

var explainedAnswers = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace,
	Subsystem: pluginName,
	Name:      "explained_answers_total",
	Help:      "Negative answers given with a known reason (sent as an Extended DNS Error to EDNS clients), by reason.",
}, []string{"reason"})

// explainedCounters holds the counter of each reason, bound once so the
// query path does not look labels up.
var explainedCounters = func() (cs [reasonCount]prometheus.Counter) {
	for r := reasonNotSynced; r < reasonCount; r++ {
		cs[r] = explainedAnswers.WithLabelValues(explanations[r].label)
	}
	return cs
}()

// explain counts a negative answer's reason and, when the query spoke EDNS,
// attaches it as an Extended DNS Error. Without EDNS in the query the reply
// may carry no OPT record (RFC 6891 §7), so the reason is only counted. The
// server's ScrubWriter keeps this OPT and sets its size and DO bit from the
// query's.
func (c *ClusterSet) explain(rp *reply, r *dns.Msg, why reason) {
	if why == reasonNone || !c.answers.extendedErrors {
		return
	}
	explainedCounters[why].Inc()
	if r.IsEdns0() == nil {
		return
	}
	e := &explanations[why]
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(dns.MinMsgSize)
	opt.Option = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: e.code, ExtraText: e.text}}
	rp.msg.Extra = append(rp.msg.Extra, opt)
}
