"""The flow a mapping declares for its letters: the paraf steps in order and the signer, or ``seal``.

Who each step's person is comes from the payload: ``person`` is a mapping expression (``data.paraf.nama``)
that the caller evaluates; this module only keeps the order. In a mapping::

    flow:
      paraf:
        - {title: Kasubag Umum, person: data.paraf[0].nama}
        - {title: Sekretaris, person: data.paraf[1].nama, signature: true}
      signer: {title: Kepala Dinas, person: data.penandatangan.nama}

or ``flow: seal`` for letters the system seals with the agency's electronic seal, without a person.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .states import AWAITING_SIGNATURE, DRAFT, IN_REVIEW, RETURNED

PERSON, SEAL = "person", "seal"


class ParafStep(BaseModel):
    """One official's review, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, description="the reviewing official's position, e.g. Kasubag Umum")
    person: str = Field(min_length=1, description="mapping expression naming the person, e.g. data.paraf[0].nama")
    signature: bool = Field(False, description="the paraf is itself an electronic signature (the Paraf field)")
    profile: str | None = Field(None, description="the signing profile of that paraf signature (default: the "
                                                   "mapping's signing_profile)")


class Signer(BaseModel):
    """The official who signs (TTE) with their own credential."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = Field(None, description="the signer's position, for the pending step")
    person: str = Field(min_length=1, description="mapping expression naming the signer")


class FlowSpec(BaseModel):
    """A letter's way to its signature: ``person`` (paraf steps, then the signer) or ``seal`` (no person)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["person", "seal"] = PERSON
    paraf: tuple[ParafStep, ...] = ()
    signer: Signer | None = None

    @model_validator(mode="before")
    @classmethod
    def _seal_shorthand(cls, value: Any) -> Any:
        return {"kind": SEAL} if value == SEAL else value

    @model_validator(mode="after")
    def _complete(self) -> "FlowSpec":
        if self.kind == SEAL and (self.paraf or self.signer):
            raise ValueError("a sealed letter has no paraf steps and no signer: the system seals it")
        if self.kind == PERSON and self.signer is None:
            raise ValueError("a flow names its signer (signer: {title: ..., person: ...}), or is `seal`")
        return self

    def people(self) -> list[str]:
        """Every ``person`` expression of the flow, in order (the mapping compiles them when it loads)."""
        return [step.person for step in self.paraf] + ([self.signer.person] if self.signer else [])

    def pending(self, state: str, step: int) -> "Pending | None":
        """What a draft in ``state`` at paraf ``step`` waits for; None once it is signed or closed."""
        if state in (DRAFT, IN_REVIEW):
            if not self.paraf:
                return Pending("submit")
            current = self.paraf[step]
            return Pending("paraf", step, current.title, current.person, current.signature)
        if state == AWAITING_SIGNATURE:
            if self.signer is None:
                return Pending("seal")
            return Pending("sign", None, self.signer.title, self.signer.person, True)
        if state == RETURNED:
            return Pending("revise")
        return None


@dataclass(frozen=True)
class Pending:
    """The next step of a draft: ``submit``, ``paraf`` (with its index), ``sign``, ``seal`` or ``revise``.

    ``person`` is the flow's expression for who must act; the caller evaluates it over the payload."""

    action: str
    step: int | None = None
    title: str | None = None
    person: str | None = None
    signature: bool = False
