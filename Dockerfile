# Docker Space / self-hosting image: a non-root user with uid 1000, port 7860.
FROM python:3.11-slim-bookworm

# Natural data (text passages, labelled photos) from Debian's packages; see models/natural.
COPY packages.txt ./
RUN apt-get update && xargs -a packages.txt apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

COPY --chown=user requirements.txt requirements-nodeps.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
 && pip install --no-cache-dir --no-deps -r requirements-nodeps.txt

COPY --chown=user . .
USER user
ENV HOME=/home/user \
    WORKBENCH_CACHE=/home/user/.cache/interp-workbench \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860
EXPOSE 7860
CMD ["python", "app.py"]
