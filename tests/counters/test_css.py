"""The counters' CSS is reachable: no block left open before it (an easy slip when merging)."""

from pathlib import Path

SITE_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def test_site_css_blocks_are_balanced_and_the_counters_section_is_top_level():
    css = SITE_CSS.read_text(encoding="utf-8")
    before, banner, _ = css.partition("/* == counters == */")
    assert banner, "the counters section is missing"
    assert before.count("{") == before.count("}"), "a block is left open before the counters"
    assert css.count("{") == css.count("}")
    assert "prefers-reduced-motion" in css.split(banner, 1)[1]
