"""`python -m jitwasm ...`: the same as the `jitwasm` console script."""

from .launcher import main

main()
