"""What every surface shares: conversation keys with their privacy hash, stats, reload and the catalog watcher,
log redaction, and the stores that survive a restart (context, the unmatched-question log)."""
