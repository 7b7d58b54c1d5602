"""Milestones: the go-live checklist, the announcements of going live, and the 30-day goal review."""
