"""Real request/response pairs for the OpenAPI docs, produced by the shipped model (regenerate
with `python -c "from app.api.examples import regenerate; regenerate()"`; tests check they still
validate against the schemas)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TURNS = Path(__file__).with_name("turns.json")


@cache
def turn_examples() -> dict[str, dict]:
    return json.loads(TURNS.read_text())


def request_examples() -> dict[str, dict]:
    return {
        name: {"summary": f"a {name.replace('_', ' ')}", "value": pair["request"]}
        for name, pair in turn_examples().items()
    }


def response_examples() -> dict[str, dict]:
    return {
        name: {"summary": f"analysis of a {name.replace('_', ' ')}", "value": pair["response"]}
        for name, pair in turn_examples().items()
    }


def regenerate() -> None:
    """One conversation through the shipped model: a customer turn, then a canned agent reply."""
    from app.coaching.conversation import Turn
    from app.coaching.wiring import build_coach
    from app.settings import Settings

    settings = Settings()
    coach = build_coach(
        settings.model_path, settings.backend, settings.threads, settings.frameworks_dirs, cache_dir=settings.cache_dir
    )
    state = coach.new_state("order-4471", tenant="acme")
    requests = {
        "customer_turn": {
            "role": "customer",
            "text": "I was charged twice for order 4471 and this is the third time I'm asking!",
        },
        "agent_turn": {
            "role": "agent",
            "text": "We apologize for the inconvenience. Please provide your order number.",
        },
    }
    pairs = {}
    for name, request in requests.items():
        analysis = coach.add_turn(state, Turn(**request))
        pairs[name] = {"request": request, "response": analysis.model_dump(mode="json", exclude_none=True)}
    TURNS.write_text(json.dumps(pairs, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    regenerate()
