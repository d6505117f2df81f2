# A small image: slim base, the project installed with pip from its own source, non-root, catalog inside.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app bot \
    && mkdir -p /data \
    && chown bot /data
COPY content ./content
COPY intents ./intents

USER 10001
VOLUME ["/data"]
# SIGTERM: finish the updates in hand (at most 8 s, inside docker stop's default 10 s), confirm them, exit
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
