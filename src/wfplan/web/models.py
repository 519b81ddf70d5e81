"""The service's response models: every answer of ``/api/v1`` is one of these (OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The levels of areas the API reports on.
Level = Literal["england", "region", "icb", "org"]
#: The area levels ``/areas`` lists (organisations are ``/organisations``).
AreaLevel = Literal["england", "region", "icb"]


class Model(BaseModel):
    """A response model: no field beyond those declared."""

    model_config = ConfigDict(extra="forbid")


class Health(Model):
    """The service is up."""

    status: Literal["ok"]
    version: str


class Problem(Model):
    """An error: what went wrong, in one sentence."""

    detail: str


class RowError(Model):
    """One validation error of an uploaded file (status 422)."""

    file: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str


class Me(Model):
    """Who the request's token belongs to, and its scope."""

    user: str
    role: str


class Vintage(Model):
    """One vintage: its state and size."""

    name: str
    frozen: bool
    created_at: datetime
    frozen_at: datetime | None
    ingests: int
    rows: int


class Area(Model):
    """An area: England, an NHS region or an ICB."""

    code: str
    name: str
    level: AreaLevel
    parent_code: str | None


class Organisation(Model):
    """An organisation, placed in its ICB and region at the vintage's latest census."""

    org_code: str
    name: str | None
    sector: str | None
    icb_code: str | None
    region_code: str | None


class PositionRow(Model):
    """One area's current position (``wfplan metrics``); a figure it cannot support is null."""

    area_code: str
    area_name: str | None
    level: Level
    period: str | None
    headcount: float | None
    fte: float | None
    fte_per_head: float | None
    vacancy_fte: float | None
    vacancy_rate: float | None
    joiner_rate: float | None
    leaver_rate: float | None
    stability_index: float | None
    sickness_absence_rate: float | None
    share_aged_55_plus: float | None
    share_non_uk: float | None
    burnout_rate: float | None
    suppressed: bool = False


class CoverageRow(Model):
    """What one figure covers: sectors, period, and why it is n/a."""

    metric: str
    shown: bool
    sectors: list[str]
    period: str | None
    note: str | None


class BandRow(Model):
    """The ethnic-minority share of headcount of one pay band in one area."""

    area_code: str
    period: str | None
    grade: str | None
    minority_headcount: float | None
    known_headcount: float | None
    ethnic_minority_share: float | None
    suppressed: bool = False


class NetChangeRow(Model):
    """The change of staff in post between two censuses of a source without flows."""

    area_code: str
    area_name: str | None
    level: Level
    source: str | None
    staff_group: str | None
    role: str | None
    period_start: str | None
    period_end: str | None
    headcount_start: float | None
    headcount_end: float | None
    headcount_change: float | None
    fte_start: float | None
    fte_end: float | None
    fte_change: float | None
    fte_change_rate: float | None
    suppressed: bool = False


class Metrics(Model):
    """The current position of a vintage at one level, as ``wfplan metrics`` reports it."""

    vintage: str
    level: Level
    controlled: bool
    disclosure: str | None
    current_position: list[PositionRow]
    coverage: list[CoverageRow]
    ethnic_minority_by_band: list[BandRow]
    net_change: list[NetChangeRow]


class Gaps(Model):
    """The data-gap report of a vintage (``wfplan gaps``): each section's rows.

    ``area`` is the region or ICB the report is of (its rows and organisations alone);
    None for England's.
    """

    vintage: str
    newest_period: date | None
    stale_months: int
    area: Area | None = None
    sections: dict[str, list[dict[str, Any]]]


class AuditRow(Model):
    """One row of the append-only audit log."""

    audit_id: int
    recorded_at: datetime
    actor: str
    action: str
    scope: str | None
    detail: str | None


class ScenarioText(Model):
    """A scenario file's TOML text, to validate or keep."""

    toml: str = Field(max_length=200_000, description="The scenario file (TOML), as text")


class ScenarioSummary(Model):
    """A valid scenario: what it runs."""

    name: str
    level: str
    horizon: int
    draws: int
    seed: int
    staff_groups: str | list[str]


class StoredScenario(Model):
    """A scenario kept by the service."""

    scenario_id: str
    name: str
    owner: str
    sha256: str
    created_at: datetime
    summary: ScenarioSummary
    toml: str | None = None


class ShippedScenario(Model):
    """A scenario shipped with wfplan: its file's name, what it is, and its text."""

    file: str
    title: str
    description: str
    interventions: int
    summary: ScenarioSummary
    toml: str


class RunRequest(Model):
    """Overrides of a run (None keeps the scenario's own)."""

    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    draws: int | None = Field(default=None, ge=0, le=100_000)


JobStatus = Literal["queued", "running", "done", "failed"]


class Job(Model):
    """A background job (a projection, a sensitivity analysis, an assessment) and its progress."""

    job_id: str
    kind: Literal["project", "sensitivity", "assess"]
    scenario_id: str | None
    owner: str
    status: JobStatus
    progress: float
    message: str | None
    seed: int | None
    draws: int | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result_sha256: str | None


class ResultRow(Model):
    """One row of a projection's long table (IAMC: one value per variable, year, statistic)."""

    scenario: str
    area: str
    staff_group: str
    variable: str
    unit: str
    year: int
    statistic: str
    value: float | None


class ProjectionResults(Model):
    """A projection job's results, the rows in the caller's scope."""

    job_id: str
    vintage: str
    seed: int
    draws: int
    sha256: str
    total: int
    offset: int
    rows: list[ResultRow]


class SensitivityRequest(Model):
    """The options of a sensitivity job, as of ``wfplan sensitivity`` (None: its default)."""

    draws: int | None = Field(default=None, ge=0, le=100_000,
                              description="Monte Carlo draws for the variance shares (0: none)")
    year: int | None = Field(default=None, ge=1900, le=2200,
                             description="Year of the gap (default: the final year)")
    areas: list[str] = Field(default_factory=list, max_length=50,
                             description="Also the gap of these areas (codes at its level)")
    fixed_spread: float | None = Field(default=None, ge=0.0, le=1.0,
                                       description="Also move every fixed number by -/+ this")


class SensitivityResults(Model):
    """A sensitivity job's tornado and variance shares, the rows in the caller's scope.

    The rows have the columns of ``wfplan sensitivity --format json`` (floats at
    full precision; that command rounds them).
    """

    job_id: str
    sha256: str
    scenario: str
    vintage: str
    base_period: str
    year: int
    tornado: list[dict[str, Any]]
    variance_shares: list[dict[str, Any]]


class BundleFile(Model):
    """A file of an assessment bundle."""

    name: str
    bytes: int


class Assessment(Model):
    """An assessment bundle kept by the service, and its files."""

    name: str
    files: list[BundleFile]


class AssessmentRequest(Model):
    """An assessment to run as ``wfplan assess --out`` does: its definition and scenarios.

    The definition names its scenarios by file name: each is one of ``scenarios``
    (sent here) or, failing that, a scenario shipped with wfplan (``baseline``,
    ``ltwp``, ...). A path (a folder, ``..``) names nothing on the server: 422.
    """

    toml: str = Field(max_length=200_000,
                      description="The assessment definition (TOML), as 'wfplan assess' reads")
    scenarios: dict[str, Annotated[str, Field(max_length=200_000)]] = Field(
        default_factory=dict, max_length=20,
        description="Scenario files by file name (e.g. 'demo_baseline.toml'), as TOML text")
    public: bool = Field(False, description="As 'wfplan assess --public': disclosure "
                         "control on the inputs before computing")


class BundleScenario(Model):
    """A scenario of an assessment bundle: its name, file and SHA-256."""

    name: str
    file: str
    sha256: str


class ManifestSummary(Model):
    """What a bundle's manifest says it holds (``manifest.json``, abridged)."""

    title: str
    period: str
    vintage: str
    base_period: str
    level: str
    horizon: int
    draws: int
    seed: int
    created: datetime
    core_sha256: str
    disclosure: str | None
    signer: str | None
    scenarios: list[BundleScenario]


class BundleLink(Model):
    """A file of a bundle and where to download it."""

    name: str
    bytes: int
    url: str


class AssessmentResults(Model):
    """An assessment job's bundle: its name, manifest summary and files.

    ``sha256`` is that of the bundle's ``manifest.json``, kept with the job when
    the bundle was written; the bundle is served only while its manifest has it.
    """

    job_id: str
    sha256: str
    name: str
    manifest: ManifestSummary
    files: list[BundleLink]
