"""The CSM's standup digest with its launch-week chart."""
