{{/*
Chart name, truncated to the 63 characters of a DNS label.
*/}}
{{- define "todo-chatbot.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Release-qualified name, for objects that belong to the release rather than to a component.
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version.
*/}}
{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of a component's objects: <namePrefix>-<component>, e.g. todo-frontend.
Call with (dict "root" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.componentName" -}}
{{- printf "%s-%s" .root.Values.namePrefix .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries. Call with (dict "root" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" .root }}
{{ include "todo-chatbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: {{ include "todo-chatbot.name" .root }}
{{- end }}

{{/*
Selector labels: what a Service selects and a Deployment matches. Call as for labels.
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Name of the Secret the backend reads: the chart's own, or existingSecret.
*/}}
{{- define "todo-chatbot.backendSecretName" -}}
{{- .Values.backend.secret.existingSecret | default (printf "%s-secret" (include "todo-chatbot.componentName" (dict "root" . "component" "backend"))) }}
{{- end }}

{{/*
In-cluster URL of a component's Service. Call as for componentName.
*/}}
{{- define "todo-chatbot.serviceURL" -}}
{{- $values := index .root.Values .component -}}
{{- printf "http://%s.%s.svc.%s:%d" (include "todo-chatbot.componentName" .) .root.Release.Namespace .root.Values.clusterDomain (int $values.containerPort) }}
{{- end }}

{{/*
Image reference of a component. A missing tag fails the render, naming the value.
Call as for componentName.
*/}}
{{- define "todo-chatbot.image" -}}
{{- $image := (index .root.Values .component).image -}}
{{- printf "%s:%s" $image.repository (required (printf "%s.image.tag is required" .component) $image.tag) }}
{{- end }}
