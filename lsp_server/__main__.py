"""`python -m lsp_server` runs the command line (default: serve over stdio)."""

import sys

from .cli import main

sys.exit(main())
