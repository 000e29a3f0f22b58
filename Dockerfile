# One image for every Posko process (api, worker, migrate): the command picks the role.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps -e . && useradd --system --home /app posko && mkdir -p /app/var && chown posko /app/var
USER posko
EXPOSE 8000
CMD ["posko", "api"]
