"""What every surface shares: conversation keys with their privacy hash, stats, reload and the catalog watcher,
log redaction, the stores that survive a restart (context, the unmatched-question log), and cluster mode's
parts on Valkey/Redis (`redis_store`: context and the connection; `cluster`: claims, locks, replicas)."""
