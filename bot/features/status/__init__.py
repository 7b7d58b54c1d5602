"""What `/golive status` and `golive launch show` say about a launch."""
