"""Adoption after go-live: weekly reports to the CSMs for 30 days and friendly nudges to people who went quiet."""
