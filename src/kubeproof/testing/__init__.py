"""The test harness: pytest plugins, prerequisites, cluster, release and image helpers.

The engine (``kubeproof`` proper) never imports this package; it uses pytest,
Docker and a cluster, which the engine must not need.
"""
