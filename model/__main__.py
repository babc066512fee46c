"""`python -m model`: headless training and evaluation."""

import sys

from .cli import main

sys.exit(main())
