"""`python worker.py`: the worker process, as the design card names it (the code is entrypoints/worker.py)."""

from entrypoints.worker import run

if __name__ == "__main__":
    run()
