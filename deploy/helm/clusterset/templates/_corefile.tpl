{{/*
The Corefile: deploy/cluster-dns/Corefile or deploy/clusterset-server/Corefile,
with the values of `corefile` and `clusterset`. The listeners (:53, :8080,
:8181, :9153) are the ones the Deployment's ports and probes name.
*/}}
{{- define "clusterset.corefile" -}}
{{- if .Values.corefile.override -}}
{{ .Values.corefile.override | trim }}
{{- else -}}
{{- $c := .Values.corefile -}}
{{- if include "clusterset.clusterDNS" . -}}
.:53 {
{{- else -}}
{{ .Values.clusterset.zone }}:53 {
{{- end }}
    errors
    health :8080 {
        lameduck {{ $c.lameduck }}
    }
    ready :8181
{{- if include "clusterset.clusterDNS" . }}
    kubernetes {{ $c.kubernetes.clusterDomain }} in-addr.arpa ip6.arpa {
        pods {{ $c.kubernetes.pods }}
        fallthrough in-addr.arpa ip6.arpa
        ttl {{ $c.kubernetes.ttl }}
    }
{{- end }}
{{ include "clusterset.directive" . | indent 4 }}
    prometheus :9153
{{- if include "clusterset.clusterDNS" . }}
    forward . {{ $c.forward.upstream }} {
        max_concurrent {{ $c.forward.maxConcurrent }}
    }
{{- end }}
    cache {{ $c.cacheTTL }}
{{- if include "clusterset.clusterDNS" . }}
    loop
{{- end }}
    reload
    loadbalance
{{- with $c.extraPlugins }}
{{ trim . | indent 4 }}
{{- end }}
}
{{- with $c.extraServerBlocks }}

{{ trim . }}
{{- end }}
{{- end }}
{{- end -}}
