"""BSS accounts (issue 14): list, create, edit, deactivate, the account page."""
