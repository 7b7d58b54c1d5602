"""Parts of the Slack simulator. ``bot.devkit.simulator`` is the public entry point; import from there."""
