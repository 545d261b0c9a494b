# One image for the Rasa server, the action server and the staff CLI.
FROM python:3.10-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY bot ./bot
COPY actions ./actions
RUN pip install -c requirements.lock . && python -m bot.nlp.build_spacy var/spacy/nb_blank
COPY config.yml domain.yml credentials.yml ./
COPY data ./data
COPY deploy/endpoints.yml ./endpoints.yml
COPY demo ./demo
# Train at build time so every instance serves the same model.
RUN rasa train --fixed-model-name klbot --out models --data data
RUN useradd --create-home --uid 1001 klbot && mkdir -p var && chown -R klbot /app/var
USER klbot
# Production by default: the action server and the Rasa server refuse to start without
# KLBOT_ACTION_TOKEN, and Rasa's HTTP API stays closed unless KLBOT_API_TOKEN is set
# (docs/SECURITY.md). Inside a container the servers listen on all of its interfaces; which
# ports are published is the compose file's (or the orchestrator's) decision.
ENV KLBOT_ENV=production KLBOT_HOST=0.0.0.0
EXPOSE 5005 5055
CMD ["python", "-m", "bot.rasa_server", "--port", "5005", "--model", "models/klbot.tar.gz", \
     "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
