"""Field types shared by the routers' response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator

from app.storage.database import as_utc

UtcTime = Annotated[datetime, AfterValidator(as_utc)]  # a stored time, always sent with its offset
