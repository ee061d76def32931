# syntax=docker/dockerfile:1
# remediate: one image for every role. `remediate run` by default; `remediate run --no-scheduler` for HTTP
# replicas and `remediate scheduler` for the job runner (see docker-compose.yml and the README).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY storage ./storage
# A wheel install, not editable: the migrations ship inside the package. constraints.txt holds it to the
# versions the tests passed with.
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -c constraints.txt .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite:////data/remediate.db
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin remediate \
    && mkdir -p /app /data \
    && chown remediate:remediate /app /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The single-process SQLite deployment keeps its database here; replicas use PostgreSQL instead.
VOLUME ["/data"]
USER remediate
EXPOSE 3000
# /healthz answers 200 while the database does. The slim image has no curl; Python is there already.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
# SIGTERM drains in-flight requests, stops the scheduler and the sender, then exits 0.
STOPSIGNAL SIGTERM
CMD ["remediate", "run"]
