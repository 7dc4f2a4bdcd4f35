"""Loaders: manifests, Dockerfiles and charts, each keeping file and line."""
