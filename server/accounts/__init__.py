"""Accounts: password hashing, session and API tokens, logging in (the throttle, sessions: ``login``),
demo accounts.

No HTTP here; the web side is ``server.web.auth``, the storage side the store's account methods
(``server.store.sqlite_sessions``). The username rule is the directory's (``server.directory.users``).
"""
