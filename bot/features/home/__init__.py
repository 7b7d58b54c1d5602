"""App Home: the launches a person may see, and the read-only readiness checklist."""
