"""Launches: validation of what people type, creation and update, and who is who on a launch."""
