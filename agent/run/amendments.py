"""Amendments within a run: a Senate amendment restates its whole report, so when the report it amends (the
same filer and report date, a lower amendment number) is read in the same run, both say which replaces which.
(Across runs the library keeps the versions; here a run only says it.)"""

from __future__ import annotations

from agent.models import Filing


def _report_key(filing: Filing) -> tuple[str, str] | None:
    if filing.chamber != "senate" or not filing.report_date or not filing.filer_name:
        return None
    return " ".join(filing.filer_name.lower().split()), filing.report_date


def amendment_note(filing: Filing, earlier: list[Filing]) -> str:
    """What a person should know about `filing` given the filings read before it in the run: the version it
    replaces, or the later version already read that replaces it. Empty when there is none."""
    key = _report_key(filing)
    if key is None:
        return ""
    versions = [other for other in earlier if _report_key(other) == key
                and other.amendment_number != filing.amendment_number]
    if not versions:
        return ""
    older = [other for other in versions if other.amendment_number < filing.amendment_number]
    newer = [other for other in versions if other.amendment_number > filing.amendment_number]
    subject = (f"the report of {filing.filer_name} for {filing.report_date}")
    if older:
        replaced = max(older, key=lambda other: other.amendment_number)
        return (f"amendment {filing.amendment_number} of {subject}: it restates the whole report and replaces "
                f"{_version(replaced)} ({replaced.source_file}), also in this run")
    latest = max(newer, key=lambda other: other.amendment_number)
    return (f"{_version(filing)} of {subject}: replaced by amendment {latest.amendment_number} "
            f"({latest.source_file}), also in this run")


def _version(filing: Filing) -> str:
    return f"amendment {filing.amendment_number}" if filing.amendment_number else "the original"
