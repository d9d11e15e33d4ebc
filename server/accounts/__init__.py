"""Accounts: password hashing, session and API tokens, the log-in throttle, demo accounts.

Pure helpers (no HTTP); the web side is ``server.web.auth``, the storage side the store's account
methods (``server.store.sqlite_sessions``).
"""
