"""I/O around the pure core: Telegram, the terminal."""
