package clusterset

import (
	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/coredns/coredns/plugin"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
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

var explanations = [answer.ReasonCount]explanation{
	answer.ReasonNotSynced:        {"not_synced", dns.ExtendedErrorCodeNotReady, "clusterset: not synced with the API yet"},
	answer.ReasonNamespaceDenied:  {"namespace_denied", dns.ExtendedErrorCodeBlocked, "clusterset: namespace denied by policy"},
	answer.ReasonNamespaceAbsent:  {"namespace_absent", dns.ExtendedErrorCodeOther, "clusterset: namespace not present in this cluster"},
	answer.ReasonAddressFiltered:  {"address_filtered", dns.ExtendedErrorCodeBlocked, "clusterset: addresses filtered by policy"},
	answer.ReasonNoReadyEndpoints: {"no_ready_endpoints", dns.ExtendedErrorCodeOther, "clusterset: no ready endpoints"},
	answer.ReasonNoIPv4:           {"family_not_exported", dns.ExtendedErrorCodeOther, "clusterset: no IPv4 address exported"},
	answer.ReasonNoIPv6:           {"family_not_exported", dns.ExtendedErrorCodeOther, "clusterset: no IPv6 address exported"},
	answer.ReasonSlicesAbsent:     {"endpoint_slices_absent", dns.ExtendedErrorCodeOther, "clusterset: endpointSliceObjects is Absent"},
}

var explainedAnswers = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace,
	Subsystem: pluginName,
	Name:      "explained_answers_total",
	Help:      "Negative answers given with a known reason (sent as an Extended DNS Error to EDNS clients), by reason.",
}, []string{"reason"})

// explainedCounters holds the counter of each reason, bound once so the
// query path does not look labels up.
var explainedCounters = func() (cs [answer.ReasonCount]prometheus.Counter) {
	for r := answer.ReasonNotSynced; r < answer.ReasonCount; r++ {
		cs[r] = explainedAnswers.WithLabelValues(explanations[r].label)
	}
	return cs
}()

// explain counts a negative answer's reason and, when the query spoke EDNS,
// attaches it as an Extended DNS Error. Without EDNS in the query the reply
// may carry no OPT record (RFC 6891 §7), so the reason is only counted. The
// server's ScrubWriter keeps this OPT and sets its size and DO bit from the
// query's.
func (c *ClusterSet) explain(rp *reply, r *dns.Msg, why answer.Reason) {
	if why == answer.ReasonNone || !c.answers.ExtendedErrors {
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
