FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY migrations ./migrations
RUN pip install . && rm -rf build

COPY config ./config
RUN useradd --create-home --uid 10001 teambot && mkdir -p /data && chown teambot /data
USER teambot

# SQLite in a volume by default; set DATABASE_URL=postgresql+psycopg://... for PostgreSQL.
ENV DATABASE_URL=sqlite:////data/teambot.db \
    TEAMBOT_CONFIG=/app/config/teambot.toml
VOLUME ["/data"]
EXPOSE 3000
# The image always passes --port, so /healthz answers in Socket Mode (SLACK_APP_TOKEN) as well.
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=3)"
CMD ["teambot", "run", "--port", "3000"]
