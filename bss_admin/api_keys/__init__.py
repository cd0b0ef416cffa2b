"""BSS > API keys (issue 18): admins create keys for the public API, see them, revoke them."""
