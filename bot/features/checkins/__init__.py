"""Daily check-ins in launch week: the post, the answers, the live tally and the nudges."""
