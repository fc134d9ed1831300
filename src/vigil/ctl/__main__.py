"""`python -m vigil.ctl`: the same as the `vigilctl` script."""

from vigil.ctl.main import main

main()
