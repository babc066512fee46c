"""`python -m digitpad`: open the window."""

import sys

from digitpad import main

sys.exit(main())
