"""kubeproof: prove a Helm chart and its Dockerfiles, from a commit to a running cluster."""

__version__ = "0.1.0"
