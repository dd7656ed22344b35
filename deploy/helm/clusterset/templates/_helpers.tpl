{{/*
The names of the objects. cluster-dns takes over kubeadm's CoreDNS objects,
so it must use their names; clusterset-server uses clusterset-dns throughout.
*/}}
{{- define "clusterset.variant" -}}
{{- if not (has .Values.variant (list "cluster-dns" "clusterset-server")) -}}
{{- fail (printf "variant %q: want cluster-dns or clusterset-server" .Values.variant) -}}
{{- end -}}
{{- .Values.variant -}}
{{- end -}}

{{- define "clusterset.clusterDNS" -}}
{{- if eq (include "clusterset.variant" .) "cluster-dns" }}true{{ end -}}
{{- end -}}

{{/* The Deployment's and the ConfigMap's name. */}}
{{- define "clusterset.name" -}}
{{- if include "clusterset.clusterDNS" . }}coredns{{ else }}clusterset-dns{{ end -}}
{{- end -}}

{{- define "clusterset.serviceName" -}}
{{- if include "clusterset.clusterDNS" . }}kube-dns{{ else }}clusterset-dns{{ end -}}
{{- end -}}

{{- define "clusterset.clusterRoleName" -}}
{{- if include "clusterset.clusterDNS" . }}system:coredns{{ else }}clusterset-dns{{ end -}}
{{- end -}}

{{- define "clusterset.serviceAccountName" -}}
{{- default (include "clusterset.name" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
The selector: k8s-app, as kubeadm labels its DNS pods. A Deployment's
selector cannot change, so the cluster-dns variant keeps kubeadm's.
*/}}
{{- define "clusterset.selectorLabels" -}}
k8s-app: {{ include "clusterset.serviceName" . }}
{{- end -}}

{{/* Every object's labels: the selector's, plus Helm's usual ones. */}}
{{- define "clusterset.labels" -}}
{{ include "clusterset.selectorLabels" . }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
One option of the clusterset block from clusterset.options: true is the bare
option, a list its items after it, another value itself; false and null
leave the option out.
*/}}
{{- define "clusterset.option" -}}
{{- $name := index . 0 -}}{{- $value := index . 1 -}}
{{- if kindIs "bool" $value -}}
{{- if $value }}{{ $name }}{{ end -}}
{{- else if kindIs "slice" $value -}}
{{- trim (printf "%s %s" $name (join " " $value)) -}}
{{- else if not (kindIs "invalid" $value) -}}
{{- printf "%s %v" $name $value -}}
{{- end -}}
{{- end -}}

{{/*
The clusterset directive, with its zone for the cluster-dns variant (the
root block serves other zones too), and its block when options are set.
*/}}
{{- define "clusterset.directive" -}}
{{- $lines := list -}}
{{- range $name, $value := .Values.clusterset.options -}}
{{- $line := include "clusterset.option" (list $name $value) -}}
{{- if $line }}{{ $lines = append $lines $line }}{{ end -}}
{{- end -}}
{{- range splitList "\n" (default "" .Values.clusterset.extra) -}}
{{- if trim . }}{{ $lines = append $lines (trim .) }}{{ end -}}
{{- end -}}
clusterset{{ if include "clusterset.clusterDNS" . }} {{ .Values.clusterset.zone }}{{ end }}
{{- if $lines }} {
{{- range $lines }}
    {{ . }}
{{- end }}
}
{{- end -}}
{{- end -}}
