"""End-to-end tests: the HTTP API over a real SQLite database and the in-process engine."""

import warnings

# Starlette suggests httpx2 for its test client; httpx is what this project installs.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
