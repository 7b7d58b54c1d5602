"""Lessons across launches and the checklist template new launches start from."""
