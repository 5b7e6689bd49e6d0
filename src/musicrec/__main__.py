"""`python -m musicrec` runs the command line."""

from musicrec.cli import main

main()
