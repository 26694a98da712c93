"""The HTML evidence as an auditor's browser shows it: real headless chromium, DOM and pixels."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scripts.audit.models import AuditReport
from scripts.audit.render_html import render_html
from tests.audit.browser import distinct_colours, dump_dom, screenshot
from tests.audit.conftest import AuditRun

NARROW = 720  # 80 columns of a 9-pixel monospace font: the page must not scroll sideways


class _Outline(HTMLParser):
    """The rendered DOM's structure: section order, attributes by id, tenants, notification rows."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.by_id: dict[str, dict[str, str]] = {}
        self.tenants: list[str] = []
        self.notifications: list[dict[str, str]] = []
        self.body: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.sections.append(a.get("id", ""))
        if "id" in a:
            self.by_id[a["id"]] = a
        if tag == "article" and "data-tenant" in a:
            self.tenants.append(a["data-tenant"])
        if tag == "tr" and "data-channel" in a:
            self.notifications.append(a)
        if tag == "body":
            self.body = a


def _outline(dom: str) -> _Outline:
    parsed = _Outline()
    parsed.feed(dom)
    return parsed


@pytest.fixture(scope="module")
def page(local_audit: AuditRun) -> Path:
    assert local_audit.result.returncode == 0, local_audit.result.stderr
    return local_audit.out / "audit.html"


def test_rendered_dom_has_summary_then_controls_then_tenants(page: Path, tmp_path: Path) -> None:
    dom = _outline(dump_dom(page, tmp_path / "profile"))
    order = [s for s in dom.sections if s in ("summary", "controls", "tenants")]
    assert order == ["summary", "controls", "tenants"]
    assert dom.by_id["overall"]["data-status"] == "pass"
    assert sorted(dom.tenants) == ["lindenhof-praxis", "lotus-health", "sunrise-clinic"]
    assert dom.by_id["control-164_312_a_2_iv"]["data-status"] == "pass"
    assert dom.by_id["control-164_308_b_1"]["data-status"] == "advisory"
    channels = [(n["data-channel"], n["data-passes"]) for n in dom.notifications]
    assert len(channels) == 3 * 5 and all(passes == "true" for _, passes in channels)


def test_page_does_not_scroll_sideways_at_80_columns(page: Path, tmp_path: Path) -> None:
    # A copy with a probe script: the report itself carries none.
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace(
        "</body>", "<script>document.body.setAttribute('data-overflow', String("
                   "document.documentElement.scrollWidth - document.documentElement.clientWidth));</script></body>"))
    dom = _outline(dump_dom(probe, tmp_path / "profile", width=NARROW))
    assert dom.body["data-overflow"] == "0"


def test_screenshot_is_not_blank(page: Path, tmp_path: Path) -> None:
    png = screenshot(page, tmp_path / "shot.png", tmp_path / "profile", width=NARROW, height=1000)
    assert distinct_colours(png) > 20


def test_failing_evidence_renders_as_failing(local_audit: AuditRun, tmp_path: Path) -> None:
    """The DOM reflects a failure too: the same renderer on a report whose control fails."""
    data = local_audit.json()
    control = next(c for c in data["controls"] if c["id"] == "164.312(a)(2)(iv)")
    control["status"] = control["scopes"][0]["status"] = "fail"
    data["summary"]["status"] = "fail"
    page = tmp_path / "failing.html"
    page.write_text(render_html(AuditReport.model_validate(data)))
    rendered = dump_dom(page, tmp_path / "profile")
    dom = _outline(rendered)
    assert dom.by_id["overall"]["data-status"] == "fail"
    assert dom.by_id["control-164_312_a_2_iv"]["data-status"] == "fail"
    assert re.search(r"FAIL", rendered)
