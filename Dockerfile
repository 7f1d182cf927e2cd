# syntax=docker/dockerfile:1.7
# Multi-stage: the build stage resolves the locked dependencies with uv; the runtime stage carries only
# the virtualenv, the code and the migrations, and runs as a non-root user.

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir "uv>=0.5,<1"
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY agent ./agent
COPY migrations ./migrations
COPY alembic.ini ./
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 agent \
 && useradd --system --uid 10001 --gid agent --home-dir /app --shell /usr/sbin/nologin agent
WORKDIR /app
COPY --from=build --chown=agent:agent /app/.venv /app/.venv
COPY --chown=agent:agent migrations ./migrations
COPY --chown=agent:agent alembic.ini ./
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LOG_FORMAT=json
USER agent
EXPOSE 9100
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["agent", "ping"]
ENTRYPOINT ["agent"]
CMD ["worker"]
