"""conflict-kg: news reporting on armed conflict -> a checked, queryable RDF graph.

The public API is small: `run_pipeline` does everything `ckg run` does;
the stage functions let a notebook run one step at a time.
"""

from __future__ import annotations

import os

# One math-library thread per process: with spaCy's small model, several BLAS
# threads per process fight for two cores and cost memory for no speed-up.
# This must happen before numpy is imported, hence here.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

__version__ = "0.1.0"
