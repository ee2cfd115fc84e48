from starter.cli import cli

cli()
