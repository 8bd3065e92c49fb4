"""The risk page's key numbers and chart, from an assessment of small hand-built frames."""

from __future__ import annotations

from agent.analysis.assessment import assess
from agent.analysis.fit import InvestorProfile
from agent.analysis.risk_view import key_numbers, position_share_figure
from tests.test_analytics import OPTIONS_HEAVY, frame


def test_key_numbers_compare_the_largest_position_with_the_limit() -> None:
    numbers = key_numbers(assess(OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=0.5)))
    # Signed 2024-04-01: the two calls of 2024-01-10 are 82 days old, the AAPL purchase of 2024-01-02 90.
    assert [(number.label, number.value) for number in numbers] == [
        ("Trades", "3"), ("Options, share of volume", "99%"), ("Largest position (NVDA)", "99%"),
        ("Median days to option expiry", "400"), ("Median days to filing", "82")]
    largest = numbers[2]
    assert (largest.delta, largest.delta_color) == ("49 percentage points over your 50% limit", "red")
    within = key_numbers(assess(OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=1.0)))[2]
    assert (within.delta, within.delta_color) == ("within your 100% limit", "green")


def test_position_chart_draws_the_limit_and_says_why_when_empty() -> None:
    figure = position_share_figure(assess(OPTIONS_HEAVY, InvestorProfile("high", "long", max_position_share=0.5)))
    assert list(figure.data[0].y) == ["NVDA", "AAPL"]
    assert [shape.x0 for shape in figure.layout.shapes] == [0.5]
    empty = position_share_figure(assess(frame({"amount": ""}), InvestorProfile("low", "short")))
    assert not empty.data and "no volume to chart" in empty.layout.annotations[0].text
