"""Long-running asyncio workers (downloads, matching) and their shared heartbeat/metrics."""
