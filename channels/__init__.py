"""Channel connectors. The REST channel is configured in credentials.yml."""
