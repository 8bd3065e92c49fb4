"""The investor profile remembered for a workspace, as the app and the command line keep it: in the history's
profiles table (agent.store.runs.RunStore), described in the same words by both."""

from __future__ import annotations

from agent.analysis.fit import InvestorProfile
from agent.errors import StoreError
from agent.store.runs import RunStore


def describe_profile(profile: InvestorProfile) -> str:
    """"A low-risk, long-term investor, no options": the profile as the Ask box and the command line show it."""
    limits = [*(["no options"] if profile.no_options else []),
              *([f"at most {profile.max_position_share:.0%} in one position"] if profile.max_position_share else [])]
    return profile.investor.capitalize() + (f", {', '.join(limits)}" if limits else "")


def remembered_profile(store: RunStore, workspace: str) -> InvestorProfile | None:
    """The workspace's profile, or None when none is remembered. StoreError when the store cannot be read, or the
    profile it holds is not one this version reads (saved by another version, or edited)."""
    stored = store.load_profile(workspace)
    if not stored:
        return None
    try:
        return InvestorProfile.from_dict(stored)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"it is not a profile this version reads ({exc})") from None


def remember_profile(store: RunStore, workspace: str, profile: InvestorProfile) -> None:
    store.save_profile(workspace, profile.to_dict())
