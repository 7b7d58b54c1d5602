"""The heads-up to the CSMs the business day before go-live."""
