"""The pinned go-live day message saying how to get help."""
