"""The errors kubeproof raises; the CLI turns each into one line and exit code 2."""

from __future__ import annotations


class KubeproofError(Exception):
    """Base class: the input or the command line is wrong (exit code 2)."""


class InputError(KubeproofError):
    """A file is missing, unreadable or malformed (duplicate keys, non-mapping documents)."""


class RenderError(KubeproofError):
    """A chart failed to render; the message names the template file and line."""


class PolicyError(KubeproofError):
    """A rule file or the waivers file is invalid."""


class ConfigError(KubeproofError):
    """The app expectations file (kubeproof.yaml) is invalid."""
