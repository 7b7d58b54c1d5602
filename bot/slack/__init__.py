"""The code that talks to Slack: Web API client construction, member and people lookups, and the HTTP
server that receives Slack's requests (web).

May import: bot.core, storage."""
