"""Operators over the chart's own files: Chart.yaml metadata and values.schema.json."""

from __future__ import annotations

from .operators import Mut, operator


@operator("chart-type-library", rules=["chart-metadata"], scope="chart")
def chart_type_library(m: Mut) -> bool:
    """Declare the chart a library chart (helm installs nothing from it)."""
    m.chart.data["type"] = "library"
    return True


@operator("chart-version-not-semver", rules=["chart-metadata"], scope="chart")
def chart_version_not_semver(m: Mut) -> bool:
    """Give the chart a version that is not semver (1.0)."""
    m.chart.data["version"] = "1.0"
    return True


@operator("chart-app-version-removed", rules=["chart-metadata"], scope="chart")
def chart_app_version_removed(m: Mut) -> bool:
    """Remove appVersion from Chart.yaml."""
    return m.chart.data.pop("appVersion", None) is not None


@operator("values-schema-removed", rules=["chart-values-schema"], scope="chart")
def values_schema_removed(m: Mut) -> bool:
    """Delete values.schema.json (helm stops rejecting values the templates cannot handle)."""
    if not m.chart.has_values_schema:
        return False
    m.chart.has_values_schema = False
    return True
