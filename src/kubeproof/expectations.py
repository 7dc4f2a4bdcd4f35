"""What a chart is expected to be, beyond what a rule can say of every chart: the entity
model's numbers (docs/infrastructure-entities.md), built in, overridden per project.

The built-in values are the todo-chatbot's entity model, written for any chart that
runs under the same values profiles: on ``minikube`` Services are NodePort and images
loaded locally (pull policy Never or IfNotPresent), in ``production`` Services are
ClusterIP, images are pulled (never Never) and pinned (no ``latest``); a component's
container requests 100m CPU / 128Mi and is limited to 500m / 512Mi; a Deployment rolls
out with maxSurge 1 and maxUnavailable 0. A project's ``kubeproof.yaml`` overrides any
of them under ``expectations:`` (mappings merge, anything else replaces), and a
component's own ``resources:`` overrides the resource figures for that component.
"""

from __future__ import annotations

import copy
from typing import Any

from .model import deep_merge

#: The built-in expectations, in kubeproof.yaml's ``expectations:`` shape.
DEFAULTS: dict[str, Any] = {
    "profiles": {
        "minikube": {
            "serviceType": "NodePort",
            # images come from `minikube image load`: never pulled (Always, or no policy
            # with a latest/missing tag, would pull); only the app's own images
            "imagePullPolicy": {"allowed": ["Never", "IfNotPresent"], "appImagesOnly": True},
            "pinnedTags": False,
        },
        "production": {
            "serviceType": "ClusterIP",
            # nodes pull from the registry: IfNotPresent with a pinned tag (Always, which
            # some clusters enforce with AlwaysPullImages, pulls too)
            "imagePullPolicy": {"forbidden": ["Never"]},
            "pinnedTags": True,
        },
    },
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    },
    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on ``base`` (a copy: neither changes): mappings merge, anything else replaces."""
    return deep_merge(copy.deepcopy(base), copy.deepcopy(over))


class Expectations:
    """The expectations in force: the built-in ones with a project's overrides."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.data = merge(DEFAULTS, overrides or {})

    def profile(self, name: str | None) -> dict[str, Any]:
        """What the values profile ``name`` expects (nothing for an unnamed profile)."""
        profiles = self.data.get("profiles") or {}
        return (profiles.get(name) or {}) if name else {}

    def resources(self, component: dict[str, Any] | None = None) -> dict[str, Any]:
        """requests/limits a component's containers have (its own, else the project's)."""
        own = (component or {}).get("resources")
        return merge(self.data.get("resources") or {}, own) if own else self.data["resources"]

    @property
    def rolling_update(self) -> dict[str, Any]:
        return self.data.get("rollingUpdate") or {}


BUILT_IN = Expectations()
