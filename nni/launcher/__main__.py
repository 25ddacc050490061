"""``python -m nni.launcher --id ID --dir DIR --port P [--mode create|resume|view]``: one manager process."""

import sys

from nni.launcher._server import main

sys.exit(main())
