"""Settings of the builders: declarant defaults, target schema, file limits, header mapping."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from builders.cdc.versions import DEFAULT_VERSION, SchemaVersion, action_version, spec

#: The CDC refuses files above 200 MB (official general guide V5, section 4.4.2).
PORTAL_MAX_FILE_BYTES = 200_000_000


class Declarant(BaseModel):
    """Defaults for the four declarant columns when a row leaves them empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id_client_emetteur: str | None = Field(
        default=None, description="BCR (matricule, 8 characters) of the emitter."
    )
    id_client_certificateur: str | None = Field(
        default=None, description="BCR of the certifier; usually the same as the emitter."
    )
    id_contrat: str | None = Field(default=None, description="Contract number, e.g. MCFCER000123.")
    nature_deposant: Literal["CERTIFICATEUR", "TIERS_CONFIANCE"] | None = None


class BuildSettings(BaseModel):
    """How XML flux files are built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: SchemaVersion = DEFAULT_VERSION
    max_passages_per_file: int = Field(default=50_000, ge=1, le=200_000)
    max_file_bytes: int = Field(default=190_000_000, ge=10_000, le=PORTAL_MAX_FILE_BYTES)
    file_prefix: str = Field(default="accrochage", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$")
    corrections: Literal["hold", "auto"] = Field(
        default="hold",
        description=(
            "Other data imported for a passage the CDC accepted: hold it until "
            "`accrochage correct`, or correct at once (SUPPRESSION, then the new CREATION)."
        ),
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description='Header renames, e.g. "Nom de naissance" = "nomNaissance".',
    )

    all_rows_admitted: bool = Field(
        default=False,
        description="The exports hold admitted candidates only: a file without an admis "
        "column is declared in full even when a column looks like a jury outcome.",
    )
    sheet: str | None = Field(
        default=None,
        description="The workbook sheet to read (default: the one whose header matches).",
    )
    defaults: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Constants for fields the export lacks, e.g. obtentionCertification = "
        '"PAR_ADMISSION"; they also fill the empty cells of a column the export has.',
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per field, a translation table for local codes, e.g. "
        '[build.values.modaliteAcces] "FC" = "FORMATION_CONTINUE".',
    )

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        spec(value)  # raises ValueError naming the supported versions
        return value

    @field_validator("columns")
    @classmethod
    def _strip_headers(cls, value: dict[str, str]) -> dict[str, str]:
        return {k.strip(): v.strip() for k, v in value.items()}

    @model_validator(mode="after")
    def _corrections_need_suppression(self) -> BuildSettings:
        if self.corrections == "auto" and not spec(self.schema_version).has_action:
            needed = action_version(self.schema_version)
            msg = (
                f'corrections = "auto" needs schema_version "{needed}": SUPPRESSION, which a '
                f"correction sends first, does not exist in schema {self.schema_version}"
            )
            raise ValueError(msg)
        return self
