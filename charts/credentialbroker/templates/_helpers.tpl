{{- define "credentialbroker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "credentialbroker.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "credentialbroker.labels" -}}
app.kubernetes.io/name: {{ include "credentialbroker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "credentialbroker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "credentialbroker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "credentialbroker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "credentialbroker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "credentialbroker.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* http or https: what the broker serves, the probes use and the scraper speaks. */}}
{{- define "credentialbroker.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end -}}
{{- end -}}

{{/* Where files are mounted in the broker container. */}}
{{- define "credentialbroker.paths" -}}
keys: /etc/credentialbroker/keys
bundles: /etc/credentialbroker/bundles
x509: /etc/credentialbroker/x509-bundles
tls: /etc/credentialbroker/tls
svid: /run/credentialbroker/svid
policy: /etc/credentialbroker/policy
spiffeSocket: /spiffe-workload-api
{{- end -}}

{{/* The name of the Secret holding the server certificate (secret or cert-manager). */}}
{{- define "credentialbroker.tlsSecretName" -}}
{{- if eq .Values.tls.source "certManager" -}}
{{- default (printf "%s-tls" (include "credentialbroker.fullname" .)) .Values.tls.secretName -}}
{{- else -}}
{{- .Values.tls.secretName -}}
{{- end -}}
{{- end -}}

{{/* The policy ConfigMap's name: an existing one, or the one the chart makes from policy.documents. */}}
{{- define "credentialbroker.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "credentialbroker.fullname" .)) .Values.policy.configMapName -}}
{{- end -}}

{{/* Environment variable names of downstream providers' connection strings. */}}
{{- define "credentialbroker.providerEnvName" -}}
{{- printf "CredentialBroker__Downstream__Providers__%s__ConnectionString" . -}}
{{- end -}}

{{/* A volume name (DNS label) for a downstream provider's mounted Secret. */}}
{{- define "credentialbroker.downstreamVolumeName" -}}
{{- printf "downstream-%s" (. | lower | replace "_" "-") | trunc 63 | trimSuffix "-" -}}
{{- end -}}
