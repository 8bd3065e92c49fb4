"""The run history: one SQLite file in the data folder, shared by every app server that uses that folder.

schema.py  the tables as numbered migrations (PRAGMA user_version); a newer file than the code knows is refused
runs.py    RunStore: runs, their files and events, the outcome cache, profiles; WAL mode
lease.py   who owns a running run, and when another server may call it interrupted
"""
