"""`python -m gui`: open digitpad."""

import sys

from .app import main

sys.exit(main())
