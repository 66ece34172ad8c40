# One image for the API, the worker and the migrations; whoever runs it picks the process:
#   docker run escalator                               the API (uvicorn api.app:app on :8000)
#   docker run escalator python worker.py              the worker
#   docker run escalator python -m entrypoints.mailer             the e-mail sender (the outbox)
#   docker run escalator python -m store.migrate       migrations, then exit
# docker-compose.yml builds it and runs all three.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed unprivileged user, so volumes and security policies can name its uid.
RUN groupadd --system --gid 10001 escalator \
 && useradd --system --uid 10001 --gid escalator --no-create-home --home-dir /app \
    --shell /usr/sbin/nologin escalator

WORKDIR /app

# Only what the package needs: never tests, .venv, .data or local .env files.
COPY pyproject.toml README.md ./
COPY domain/ domain/
COPY workflows/ workflows/
COPY activities/ activities/
COPY store/ store/
COPY api/ api/
COPY infra/ infra/
COPY cli/ cli/
COPY integrations/ integrations/
COPY services/ services/
COPY web/ web/
COPY entrypoints/ entrypoints/
COPY worker.py ./

# Installed as root and left owned by root: the service user can run the code but not change it.
# Bytecode written now, since PYTHONDONTWRITEBYTECODE stops Python writing it later: the workflow
# sandbox re-imports a workflow's module for every new run and every replay, and without a .pyc
# each of those compiles the source again (half of the import's cost; see BENCHMARKS.md).
RUN pip install . \
 && rm -rf build ./*.egg-info \
 && python -m compileall -q /app

USER escalator
EXPOSE 8000
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"]
