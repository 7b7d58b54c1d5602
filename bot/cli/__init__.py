"""The `golive` command line (Typer), one module per command group.

May import: everything (it is the outermost layer), including bot.devkit for `golive demo`."""
