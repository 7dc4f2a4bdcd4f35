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
chart label value: name-version.
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
Labels every object carries. Call with (dict "root" $ "component" "frontend"); component may be empty.
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
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
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
ConfigMap data of a component. Shared by the ConfigMap and the Deployment's checksum,
so a config change rolls the pods.
*/}}
{{- define "todo-chatbot.configData" -}}
{{- if eq .component "frontend" }}
API_BASE_URL: {{ include "todo-chatbot.serviceURL" (dict "root" .root "component" "backend") | quote }}
{{- range $key, $value := .root.Values.frontend.config }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- else if eq .component "backend" }}
{{- $config := .root.Values.backend.config }}
CORS_ORIGINS: {{ $config.corsOrigins | quote }}
JWT_ALGORITHM: {{ $config.jwtAlgorithm | quote }}
JWT_EXPIRATION_DAYS: {{ $config.jwtExpirationDays | toString | quote }}
{{- range $key, $value := $config.extra }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Secret data of the backend (stringData).
*/}}
{{- define "todo-chatbot.secretData" -}}
{{- $secret := .Values.backend.secret }}
DATABASE_URL: {{ $secret.databaseUrl | quote }}
BETTER_AUTH_SECRET: {{ $secret.betterAuthSecret | quote }}
OPENAI_API_KEY: {{ $secret.openaiApiKey | quote }}
{{- end }}

{{/*
Image reference of a component. A missing tag fails the render, naming the value.
*/}}
{{- define "todo-chatbot.image" -}}
{{- $image := (index .root.Values .component).image -}}
{{- printf "%s:%s" $image.repository (required (printf "%s.image.tag is required" .component) $image.tag) }}
{{- end }}

{{/*
One Deployment for a component (frontend or backend). Call with (dict "root" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.deployment" -}}
{{- $root := .root -}}
{{- $values := index $root.Values .component -}}
{{- include "todo-chatbot.validate" . -}}
{{- $name := include "todo-chatbot.componentName" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" . | nindent 4 }}
  {{- if and (eq .component "backend") $values.secret.existingSecret }}
  annotations:
    # The Secret comes from outside the chart; kubeproof checks it is declared, not rendered.
    kubeproof.io/external: {{ $values.secret.existingSecret | quote }}
  {{- end }}
spec:
  replicas: {{ $values.replicaCount }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "todo-chatbot.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ include "todo-chatbot.configData" . | sha256sum }}
        {{- if and (eq .component "backend") (not $values.secret.existingSecret) }}
        checksum/secret: {{ include "todo-chatbot.secretData" $root | sha256sum }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ add $values.shutdownDelaySeconds 25 }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ $values.runAsUser }}
        runAsGroup: {{ $values.runAsGroup }}
        fsGroup: {{ $values.runAsGroup }}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .component }}
          image: {{ include "todo-chatbot.image" . | quote }}
          imagePullPolicy: {{ $values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $values.containerPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $name }}-config
            {{- if eq .component "backend" }}
            - secretRef:
                name: {{ include "todo-chatbot.backendSecretName" $root }}
            {{- end }}
          livenessProbe:
            httpGet:
              path: {{ $values.healthPath }}
              port: http
            {{- toYaml $values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: {{ $values.healthPath }}
              port: http
            {{- toYaml $values.probes.readiness | nindent 12 }}
          {{- with $values.shutdownDelaySeconds }}
          lifecycle:
            # Keep serving while the endpoint removal reaches every node, so a
            # rolling update drops no request.
            preStop:
              sleep:
                seconds: {{ . }}
          {{- end }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            runAsNonRoot: true
            runAsUser: {{ $values.runAsUser }}
            runAsGroup: {{ $values.runAsGroup }}
            allowPrivilegeEscalation: false
            privileged: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          {{- with $values.writablePaths }}
          volumeMounts:
            {{- range $i, $path := . }}
            - name: writable-{{ $i }}
              mountPath: {{ $path }}
            {{- end }}
          {{- end }}
      {{- with $values.writablePaths }}
      volumes:
        {{- range $i, $path := . }}
        - name: writable-{{ $i }}
          emptyDir:
            sizeLimit: 64Mi
        {{- end }}
      {{- end }}
{{- end }}

{{/*
One Service for a component. Call with (dict "root" $ "component" "frontend").
*/}}
{{- define "todo-chatbot.service" -}}
{{- $values := index .root.Values .component -}}
{{- $service := $values.service -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "todo-chatbot.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" . | nindent 4 }}
spec:
  type: {{ $service.type }}
  selector:
    {{- include "todo-chatbot.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $values.containerPort }}
      targetPort: http
      protocol: TCP
      {{- if and (eq $service.type "NodePort") $service.nodePort }}
      nodePort: {{ $service.nodePort }}
      {{- end }}
{{- end }}

{{/*
CPU quantity in millicores ("500m", "0.5", "2").
*/}}
{{- define "todo-chatbot.millicores" -}}
{{- if hasSuffix "m" . }}{{ trimSuffix "m" . | float64 }}{{ else }}{{ mulf (float64 .) 1000 }}{{ end }}
{{- end }}

{{/*
Memory quantity in bytes ("128Mi", "1Gi", "500M", "1048576").
*/}}
{{- define "todo-chatbot.bytes" -}}
{{- $units := dict "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "K" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 -}}
{{- $number := regexFind "^[0-9]+" . -}}
{{- $unit := trimPrefix $number . -}}
{{- mulf (float64 $number) (get $units $unit | default 1.0) -}}
{{- end }}

{{/*
What values.schema.json cannot say: fail the render, naming the values, when a
component's requests exceed its limits, or when two NodePorts collide.
*/}}
{{- define "todo-chatbot.validate" -}}
{{- include "todo-chatbot.validateResources" (dict "name" .component "resources" (index .root.Values .component).resources) -}}
{{- $frontend := .root.Values.frontend.service -}}
{{- $backend := .root.Values.backend.service -}}
{{- if and (eq $frontend.type "NodePort") (eq $backend.type "NodePort") $frontend.nodePort (eq (toString $frontend.nodePort) (toString $backend.nodePort)) }}
{{- fail (printf "frontend.service.nodePort and backend.service.nodePort are both %v: a NodePort is unique across the cluster" $frontend.nodePort) }}
{{- end }}
{{- end }}

{{/*
Fail the render when requests exceed limits. Call with (dict "name" "backend" "resources" $resources).
*/}}
{{- define "todo-chatbot.validateResources" -}}
{{- $requests := .resources.requests -}}
{{- $limits := .resources.limits -}}
{{- if gt (include "todo-chatbot.millicores" $requests.cpu | float64) (include "todo-chatbot.millicores" $limits.cpu | float64) }}
{{- fail (printf "%s.resources.requests.cpu (%s) is above %s.resources.limits.cpu (%s)" .name $requests.cpu .name $limits.cpu) }}
{{- end }}
{{- if gt (include "todo-chatbot.bytes" $requests.memory | float64) (include "todo-chatbot.bytes" $limits.memory | float64) }}
{{- fail (printf "%s.resources.requests.memory (%s) is above %s.resources.limits.memory (%s)" .name $requests.memory .name $limits.memory) }}
{{- end }}
{{- end }}
