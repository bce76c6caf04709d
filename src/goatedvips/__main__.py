"""`python -m goatedvips` runs the CLI."""

from goatedvips.cli import main

main()
