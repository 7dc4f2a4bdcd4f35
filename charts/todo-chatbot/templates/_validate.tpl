{{/*
What values.schema.json cannot say (requests above limits, equal NodePorts,
a disruption budget that allows evicting every pod, several backend replicas
on placeholder secrets). Every message is collected first, then one
`fail` names them all, so a user fixes every wrong value in one go.
Included by each Deployment: the render stops before any object is written.
*/}}
{{- define "todo-chatbot.validate" -}}
{{- $messages := list -}}
{{- range $name := list "frontend" "backend" "tests" }}
{{- $messages = concat $messages (include "todo-chatbot.validateResources" (dict "name" $name "resources" (index $.Values $name).resources) | fromYamlArray) }}
{{- end }}
{{- range $name := list "frontend" "backend" }}
{{- $values := index $.Values $name }}
{{- if and $values.podDisruptionBudget.enabled (ge (int $values.podDisruptionBudget.maxUnavailable) (int $values.replicaCount)) }}
{{- $messages = append $messages (printf "%s.podDisruptionBudget.maxUnavailable (%v) is not below %s.replicaCount (%v): a node drain could evict every pod at once" $name $values.podDisruptionBudget.maxUnavailable $name $values.replicaCount) }}
{{- end }}
{{- end }}
{{- $frontend := .Values.frontend.service -}}
{{- $backend := .Values.backend.service -}}
{{- if and (eq $frontend.type "NodePort") (eq $backend.type "NodePort") $frontend.nodePort (eq (toString $frontend.nodePort) (toString $backend.nodePort)) }}
{{- $messages = append $messages (printf "frontend.service.nodePort and backend.service.nodePort are both %v: a NodePort is unique across the cluster" $frontend.nodePort) }}
{{- end }}
{{- /* The backend reads a placeholder as "unset": a random signing key and SQLite in the pod. */}}
{{- $secret := .Values.backend.secret -}}
{{- $perReplica := dict "betterAuthSecret" "sign tokens with its own random key, so a token from one pod fails on another" "databaseUrl" "keep its own SQLite database" -}}
{{- if and (gt (int .Values.backend.replicaCount) 1) (not $secret.existingSecret) }}
{{- range $value, $consequence := $perReplica }}
{{- if has (toString (index $secret $value)) (list "" "CHANGE_ME" "changeme" "change-me") }}
{{- $messages = append $messages (printf "backend.replicaCount is %v but backend.secret.%s is a placeholder: each replica would %s; set backend.secret.%s or backend.secret.existingSecret" $.Values.backend.replicaCount $value $consequence $value) }}
{{- end }}
{{- end }}
{{- end }}
{{- if $messages }}
{{- fail (printf "invalid values:\n%s" (join "\n" $messages)) }}
{{- end }}
{{- end }}

{{/*
Messages (a YAML list) for requests above limits. Call with (dict "name" "backend" "resources" $resources).
*/}}
{{- define "todo-chatbot.validateResources" -}}
{{- $messages := list -}}
{{- $requests := .resources.requests -}}
{{- $limits := .resources.limits -}}
{{- if gt (include "todo-chatbot.millicores" $requests.cpu | float64) (include "todo-chatbot.millicores" $limits.cpu | float64) }}
{{- $messages = append $messages (printf "%s.resources.requests.cpu (%s) is above %s.resources.limits.cpu (%s)" .name $requests.cpu .name $limits.cpu) }}
{{- end }}
{{- if gt (include "todo-chatbot.bytes" $requests.memory | float64) (include "todo-chatbot.bytes" $limits.memory | float64) }}
{{- $messages = append $messages (printf "%s.resources.requests.memory (%s) is above %s.resources.limits.memory (%s)" .name $requests.memory .name $limits.memory) }}
{{- end }}
{{- toYaml $messages }}
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
