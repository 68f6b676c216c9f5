"""What the lifecycle keeps: a draft (the letter until and after it is signed) and its trail of steps."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .flow import FlowSpec, Pending


class Actor(BaseModel):
    """Who acted, as the host says: naskah keeps it in the trail and checks nothing about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(None, max_length=300)


@dataclass(frozen=True)
class Draft:
    id: str
    host: str
    mapping: str
    workflow_id: str | None
    flow: FlowSpec
    state: str
    version: int
    payload: dict[str, Any]
    step: int
    letter_id: str | None
    number: str | None
    signed_date: dt.date | None
    revocation_reason: str | None
    superseded_by: str | None
    supersedes: str | None
    closed_at: str | None
    created_at: str
    updated_at: str

    @property
    def pending(self) -> Pending | None:
        return self.flow.pending(self.state, self.step)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Draft":
        values = dict(row)
        values["flow"] = FlowSpec.model_validate_json(values["flow"])
        values["payload"] = json.loads(values["payload"])
        values["signed_date"] = dt.date.fromisoformat(values["signed_date"]) if values["signed_date"] else None
        return cls(**values)


@dataclass(frozen=True)
class TrailEntry:
    """One step: when (UTC), who, what, the state it led to, and the version of the draft it concerned."""

    draft_id: str
    seq: int
    at: str
    actor_id: str
    actor_name: str
    actor_title: str | None
    action: str
    state: str
    version: int
    step: int | None
    note: str | None
