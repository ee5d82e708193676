"""`python -m wikicourse` is the `wikicourse` command."""
from .cli import main

main()
