# Drumbeat in a container: `docker compose up` (compose.yaml) runs it with PostgreSQL; docs/operations.md says more.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# A user of its own: the bot never needs root, and the feedback key file is made readable by it alone (0600).
RUN useradd --system --create-home --home-dir /home/drumbeat --uid 10001 drumbeat \
    && mkdir /data && chown drumbeat:drumbeat /data

WORKDIR /opt/drumbeat
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY messages ./messages
COPY schedules ./schedules
COPY storage ./storage
# The README's install, into a venv, from this copy of the repository (not editable: the source is not mounted).
RUN python3 -m venv /opt/drumbeat/.venv && /opt/drumbeat/.venv/bin/pip install -q . \
    && rm -rf bot messages schedules storage build
ENV PATH="/opt/drumbeat/.venv/bin:$PATH"

# State lives in /data: the SQLite file when DATABASE_URL is left alone, and the feedback key file beside it
# (mount a volume there, and back it up). compose.yaml points DATABASE_URL at PostgreSQL instead.
ENV DATABASE_URL=sqlite:////data/drumbeat.db \
    DRUMBEAT_FEEDBACK_KEY_FILE=/data/drumbeat-feedback.key \
    PORT=3000
VOLUME ["/data"]
WORKDIR /data
USER drumbeat
EXPOSE 3000

# GET /healthz: 200 when the database answers, the dispatcher runs and (Socket Mode) Slack's WebSocket is connected,
# 503 otherwise; urlopen raises on a 503, so the check fails. Served in HTTP and Socket Mode alike.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

# SIGTERM (docker stop) makes Drumbeat finish its sends in flight and exit 0 within DRUMBEAT_SHUTDOWN_SECONDS
# (default 20): give `docker stop` more than that (compose.yaml sets stop_grace_period: 30s).
STOPSIGNAL SIGTERM
CMD ["drumbeat", "run"]
