"""What spans features: saving a launch (its checklist and plan follow), going live, a launch's plan
from every feature's planners, the export, and operations (backup, purge, forget a person).

May import: bot.features and everything below them."""
