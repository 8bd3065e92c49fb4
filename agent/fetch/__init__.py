"""Filings from the House Clerk: the yearly index, a member's PTRs, polite downloads kept on disk, the watch list.

The network is touched only by a fetch or a check the user asked for (agent/fetch/client.py)."""
