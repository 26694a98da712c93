"""A local CometChat: the Management API and per-app REST v3 on 127.0.0.1, with fault injection.

`hipaachat emulator` serves it; `scripts.emulator.server.run_in_thread` runs it for tests.
See `README-section.md` for how the local stack uses it.
"""
