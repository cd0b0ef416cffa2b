"""BSS pages of the job queue (issue 16): outgoing work with Retry, the development mailbox,
Setup › Notifications."""
