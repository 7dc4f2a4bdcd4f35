"""``kubeproof mutate``: prove that the rules guard a chart by breaking it on purpose.

A catalogue of operators (``object_ops``, ``dockerfile_ops``, ``chart_ops``)
breaks one property of the good artifacts at a time, wherever it fits; the engine
runs in-process on every mutant and the report says, per operator and per rule,
what was caught, caught by another rule, missed, or not applicable, and which
findings had nothing to do with the mutation (noise).
"""
