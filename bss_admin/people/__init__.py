"""BSS people (issue 14): BSS users (invite, roles, teams, deactivate) and invitations."""
