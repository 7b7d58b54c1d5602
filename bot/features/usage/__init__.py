"""Product usage in (CSV import and the JSON API) and emails matched to Slack users."""
