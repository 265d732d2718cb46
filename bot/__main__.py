"""`python -m bot` behaves exactly like `faqbot`."""

import sys

from .cli import main

sys.exit(main())
