"""`python worker.py`: the worker process, as the design card names it (the code is entrypoints/worker.py)."""

from entrypoints.worker import main, run

__all__ = ["main", "run"]

if __name__ == "__main__":
    run()
