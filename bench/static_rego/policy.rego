# The same few rules as kubeproof's run-as-non-root, resources-set, probes-present,
# nodeport-out-of-range and image-tag, in Rego, for the conftest comparison.
package main

import rego.v1

workload if input.kind in {"Deployment", "StatefulSet", "DaemonSet"}

deny contains msg if {
	workload
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("%s/%s: runAsNonRoot is not true", [input.kind, input.metadata.name])
}

deny contains msg if {
	workload
	some c in input.spec.template.spec.containers
	some section in ["requests", "limits"]
	some res in ["cpu", "memory"]
	not c.resources[section][res]
	msg := sprintf("%s/%s container %s: no %s %s", [input.kind, input.metadata.name, c.name, res, section])
}

deny contains msg if {
	workload
	some c in input.spec.template.spec.containers
	some probe in ["livenessProbe", "readinessProbe"]
	not c[probe].httpGet
	msg := sprintf("%s/%s container %s: no HTTP %s", [input.kind, input.metadata.name, c.name, probe])
}

deny contains msg if {
	input.kind == "Service"
	some p in input.spec.ports
	p.nodePort
	not p.nodePort >= 30000
	msg := sprintf("Service/%s: nodePort %d out of range", [input.metadata.name, p.nodePort])
}

deny contains msg if {
	workload
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s/%s container %s: image uses latest", [input.kind, input.metadata.name, c.name])
}
