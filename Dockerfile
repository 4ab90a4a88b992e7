# The ESN site search service in a container: docs/deploy.md explains each choice.
#   docker build -t esn-search .
#   docker run -p 8000:8000 -v esn-indexes:/data/indexes -v esn-corpus:/data/corpus esn-search
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A user of its own: the service never runs as root.
RUN groupadd --system --gid 10001 search \
    && useradd --system --uid 10001 --gid search --home-dir /srv/search --create-home search

# The project and its shipped corpus (the vocabulary is part of the package, linked from it).
COPY pyproject.toml README.md /srv/src/
COPY search_service /srv/src/search_service
COPY corpus /srv/src/corpus
RUN pip install /srv/src \
    && mkdir -p /data/indexes /data/corpus \
    && cp -r /srv/src/corpus/. /data/corpus/ \
    && chown -R search:search /data \
    && rm -rf /srv/src

# Settings (README "Settings"): the index and corpus on volumes, every interface, one
# worker per core of a two-core container; SEARCH_FORWARDED_ALLOW_IPS is the proxy's.
ENV SEARCH_INDEX_DIR=/data/indexes \
    SEARCH_CORPUS_DIR=/data/corpus \
    SEARCH_HOST=0.0.0.0 \
    SEARCH_PORT=8000 \
    SEARCH_WORKERS=2

USER search
WORKDIR /srv/search
# Published generations live here (a named volume, or shared storage for replicas);
# the corpus volume starts as a copy of the shipped one.
VOLUME ["/data/indexes", "/data/corpus"]
EXPOSE 8000

# 503 (no index yet, damaged index) or no answer is unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SEARCH_PORT', '8000') + '/health', timeout=4)"

CMD ["search-service", "serve"]
