"""JUnit XML as pytest writes it: one testcase per rule and object, failures for errors."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..model import Result


def render(result: Result) -> str:
    by_pair: dict[tuple[str, str], list] = {}
    for f in result.findings:
        rule = f.rule.split("/", 1)[0] if f.rule.startswith("hadolint/") else f.rule
        by_pair.setdefault((rule, f.ref), []).append(f)
    pairs = list(result.pairs)
    for key in by_pair:
        if key not in pairs:
            pairs.append(key)
    suite = ET.Element("testsuite", name="kubeproof")
    failures = skipped = 0
    for rule, ref in pairs:
        case = ET.SubElement(
            suite, "testcase", classname=f"kubeproof.{rule}", name=f"{rule}[{ref}]", time="0"
        )
        found = by_pair.get((rule, ref), [])
        errors = [f for f in found if f.severity == "error" and not f.waived]
        if errors:
            failures += 1
            fail = ET.SubElement(case, "failure", message=errors[0].shown_message)
            fail.text = "\n".join(
                f"{f.file}:{f.line}: {f.rule}: {f.shown_message}\n  fix: {f.remediation}"
                for f in errors
            )
        elif found and all(f.waived for f in found):
            skipped += 1
            ET.SubElement(
                case,
                "skipped",
                type="pytest.skip",
                message="waived: " + (found[0].waiver_reason or ""),
            )
        others = [f for f in found if f not in errors]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(
                f"{f.file}:{f.line}: {f.severity}{' (waived)' if f.waived else ''}: "
                f"{f.rule}: {f.shown_message}"
                for f in others
            )
    suite.set("tests", str(len(pairs)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites")
    root.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
