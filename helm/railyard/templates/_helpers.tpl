{{/* Names, labels and small computations shared by the templates. */}}

{{- define "railyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-railyard, or the release name alone when it already contains the chart name. */}}
{{- define "railyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "railyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "railyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "railyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "railyard.labels" -}}
helm.sh/chart: {{ include "railyard.chart" . }}
{{ include "railyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: railyard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "railyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "railyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "railyard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret every *FromSecret value reads from: the existing one, or the one the chart creates. */}}
{{- define "railyard.secretName" -}}
{{- default (printf "%s-secrets" (include "railyard.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/* The environment variable carrying Secret entry "." : SECRET_<ENTRY>, upper case, other characters as '_'. */}}
{{- define "railyard.secretEnv" -}}
{{- printf "SECRET_%s" (regexReplaceAll "[^A-Z0-9]" (upper .) "_") }}
{{- end }}

{{/* The gateway's reference to a Secret entry inside application.yaml. */}}
{{- define "railyard.secretRef" -}}
{{- printf "${%s}" (include "railyard.secretEnv" .) }}
{{- end }}

{{/*
Every Secret entry the configuration references, sorted and without duplicates (a YAML list, read with fromYamlArray).
*/}}
{{- define "railyard.secretEntries" -}}
{{- $entries := list }}
{{- range $net := .Values.networks }}
{{- range $upstream := (get $net "upstreams" | default dict) }}
{{- with get $upstream "urlFromSecret" }}{{ $entries = append $entries . }}{{ end }}
{{- range $entry := (get $upstream "headersFromSecret" | default dict) }}{{ $entries = append $entries $entry }}{{ end }}
{{- end }}
{{- end }}
{{- range $key := .Values.apiKeys }}
{{- with get $key "keyFromSecret" }}{{ $entries = append $entries . }}{{ end }}
{{- end }}
{{- with .Values.redis.addressFromSecret }}{{ $entries = append $entries . }}{{ end }}
{{- $entries | uniq | sortAlpha | toYaml }}
{{- end }}

{{/* Seconds Kubernetes gives a pod to stop: preStop sleep, readiness delay, drain, and a margin for the JVM to exit. */}}
{{- define "railyard.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add .Values.drain.preStopSleepSeconds .Values.drain.delaySeconds .Values.drain.timeoutSeconds 5 }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}
