"""A trial that only asks for its parameters (the configs here are load-tested)."""

import nni

nni.report_final_result(nni.get_next_parameter().get("x", 0.5))
