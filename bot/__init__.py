"""golive: the domain and the machinery around it, one room per concern (README, "Architecture").

bot.core (below everything but storage), bot.slack / bot.outbox (the only doors to Slack), bot.features
(one package per feature), bot.flows (what spans features), bot.wiring (the one list of what features
contribute), bot.app / bot.runtime (assembly), bot.devkit and bot.cli (on top). The rule is checked by
import-linter (pyproject.toml)."""
