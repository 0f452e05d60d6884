"""QA batch scoring: finished transcripts scored against a rubric (YAML), with evidence, reports
and recurring themes. Domain logic only: no FastAPI here."""
