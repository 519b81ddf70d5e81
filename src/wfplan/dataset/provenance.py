"""Provenance shared by every layer: licences, publishers and file hashes, each defined once.

Importers record a file's publisher and licence in the ingest log; run outputs
and the report quote the licence's attribution; the ingest log and assessment
bundles hash files. The texts are part of what wfplan writes (ingest logs,
metadata, reports, bundles), so changing one changes those files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: The licence of almost every public-sector publication wfplan reads.
OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
_OGL_CONTAINS = f"Contains public sector information licensed under the {OGL}"
#: The attribution the report prints under every table and chart.
OGL_ATTRIBUTION = f"{_OGL_CONTAINS}."
#: The attribution run outputs carry in their metadata and notes (with the licence's address).
OGL_ATTRIBUTION_LINKED = f"{_OGL_CONTAINS} ({OGL_URL})"

# Publishers, as the importers record them. NHS_DIGITAL and NHS_DIGITAL_PRIMARY_CARE
# (and ONS, ONS_GEOGRAPHY) name the same bodies in two wordings; both are kept as
# they were so that ingest logs and the bundles quoting them do not change.
#: Workforce publications of NHS Digital (the HCHS series, sickness, hierarchy files).
NHS_DIGITAL = "NHS Digital (NHS England from February 2023)"
#: NHS Digital's primary care publications (PCN and GP practice workforce).
NHS_DIGITAL_PRIMARY_CARE = "NHS Digital (NHS England)"
#: The NHS Staff Survey.
NHS_STAFF_SURVEY = "NHS England (NHS Staff Survey Coordination Centre)"
#: NHS England's Organisation Data Service (organisation reference files).
ODS = "NHS England Organisation Data Service (ODS)"
#: ONS population estimates and projections.
ONS = "Office for National Statistics"
#: ONS geography lookups.
ONS_GEOGRAPHY = "Office for National Statistics (ONS Open Geography Portal)"
#: Ethnicity by pay band, as GOV.UK republishes it.
GOV_UK_ETHNICITY = "GOV.UK Ethnicity facts and figures (Cabinet Office), from NHS Digital data"


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file's bytes as lower-case hex, read in 1 MiB blocks.

    Parameters
    ----------
    path
        The file to hash.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
