# Coachline: CPU image.  The model artifact ships in the source tree (models/coachline-emotion),
# so the container needs no network at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /srv/coachline
# torch's CPU wheel from the PyTorch index: PyPI's default Linux wheel pulls in CUDA (GBs).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY eval ./eval
COPY frameworks ./frameworks
# Editable: the package reads frameworks/ (YAML) and the artifact beside its source, so it runs from
# this tree rather than a copy in site-packages that has no frameworks/ next to it.
RUN pip install -e .

RUN useradd --create-home coach && chown -R coach /srv/coachline
USER coach
EXPOSE 8000
CMD ["coach", "serve", "--host", "0.0.0.0", "--port", "8000"]
