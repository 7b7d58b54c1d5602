"""The retrospective: prompt, modal, reminder and summary."""
