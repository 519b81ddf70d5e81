"""Signed, complete bundles: every re-sealed tamper fails verify, naming what changed.

An attacker here uses only wfplan's public functions: they edit a file, then
re-seal the manifest (``seal_manifest`` rehashes every file and the manifest's
own hash), and may re-sign with a key of their own. They never hold the signer's
private key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

import handmade_vintage as hv
from wfplan.assessment.bundle import assess, core_digest, write_signed_manifest
from wfplan.assessment.manifest import bundle_files, seal_manifest
from wfplan.assessment.signing import create_keys, load_signing_key
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit

DATA = Path(__file__).resolve().parents[1] / "src" / "wfplan" / "data"
SIGNER = hv.SIGNER


@dataclass(frozen=True)
class World:
    folder: Path
    db: Path
    config: Path
    signed: Path
    unsigned: Path
    key: Path
    public: Path
    other_key: Path
    other_public: Path


def _config(folder: Path, vintage: str, scenario: Path, draws: int = 10) -> Path:
    path = folder / "assessment.toml"
    path.write_text(f'title = "Signed test assessment"\nperiod = "2026"\nvintage = "{vintage}"\n'
                    f'scenarios = ["{scenario}"]\nhorizon = 10\ndraws = {draws}\nseed = 7\n'
                    'level = "region"\n', encoding="utf-8")
    return path


def _world(folder: Path, db: Path, config: Path, *, unsigned: bool = True) -> World:
    (folder / "keys").mkdir()
    key, public = create_keys(folder / "keys" / "nhse", SIGNER)
    other_key, other_public = create_keys(folder / "keys" / "other", "Someone else")
    with DuckDBStore(db, read_only=True) as store:
        assess(store, config, folder / "signed", sign=key)
        if unsigned:
            assess(store, config, folder / "unsigned")
    return World(folder, db, config, folder / "signed", folder / "unsigned", key, public,
                 other_key, other_public)


@pytest.fixture(scope="module")
def demo(demo_vintage: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> World:
    """A signed bundle of the demo vintage (10 draws): the tampers of the acceptance test."""
    folder = tmp_path_factory.mktemp("bundle-security-demo")
    config = _config(folder, "demo", DATA / "demo_baseline.toml")
    return _world(folder, demo_vintage.db, config, unsigned=False)


@pytest.fixture
def world(hand_bundles: Path) -> World:
    """A signed and an unsigned bundle of the small hand-made vintage, and two key pairs.

    The run's ``hand_bundles`` (:func:`handmade_vintage.build_bundles`: signed by
    :data:`SIGNER`); function-scoped, so that these tests are scheduled one by one.
    """
    keys = hand_bundles / "keys"
    return World(hand_bundles, hand_bundles / "hand.duckdb", hand_bundles / "assessment.toml",
                 hand_bundles / "signed", hand_bundles / "unsigned", keys / "nhse.key",
                 keys / "nhse.pub", keys / "other.key", keys / "other.pub")


def _copy(bundle: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundle, tmp_path / "published"))


def _manifest(bundle: Path) -> dict:
    return json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))


def _reseal(bundle: Path, content: dict) -> None:
    """Make the edited bundle consistent again, as an attacker can: core digest, every hash."""
    content["core_sha256"] = core_digest({name: sha256_file(bundle / name)
                                          for name in bundle_files(bundle)})
    seal_manifest(bundle, content)


def _tool(name: str) -> str:
    """Return a poppler-utils or openssl program: fail in CI, skip elsewhere if missing."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (apt-get install poppler-utils openssl)")
        pytest.skip(f"{name} is not installed")
    return found


def _verify(kit: Kit, bundle: Path, *keys: Path, code: int) -> str:
    options = [item for key in keys for item in ("--trusted-key", key)]
    result = kit.cli("verify", bundle, *options)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return kit.plain(result.stdout)


# -- the tampers: each edits the bundle and re-seals it, as an attacker would -------------------


def _report_figure(bundle: Path) -> str:
    html = (bundle / "report.html").read_text(encoding="utf-8")
    start = html.index("Table 1. ")
    cell = re.compile(r"<td[^>]*>\s*(−?\d[\d,]*)").search(html, start)
    assert cell is not None
    changed = "123,456" if cell.group(1) != "123,456" else "654,321"
    html = html[:cell.start(1)] + changed + html[cell.end(1):]
    (bundle / "report.html").write_text(html, encoding="utf-8")
    _reseal(bundle, _manifest(bundle))
    line = html[:cell.start(1)].count("\n") + 1
    return f"report.html: line {line} differs from the report re-rendered from the bundle's " \
           f"results and manifest: ' {changed} <span"


def _xlsx_cell(bundle: Path) -> str:
    workbook = load_workbook(bundle / "tables.xlsx")
    sheet = workbook["totals"]
    cell = next(c for row in sheet.iter_rows(min_row=2) for c in row
                if isinstance(c.value, float))
    cell.value += 1000
    workbook.save(bundle / "tables.xlsx")
    _reseal(bundle, _manifest(bundle))
    return f"tables.xlsx: sheet 'totals', cell {cell.coordinate} is {cell.value!r} in the bundle"


def _manifest_field(edit: Callable[[dict], None], named: str) -> Callable[[Path], str]:
    def tamper(bundle: Path) -> str:
        content = _manifest(bundle)
        edit(content)
        _reseal(bundle, content)
        return named
    return tamper


def _seed(content: dict) -> None:
    content["seed"] += 1


def _vintage(content: dict) -> None:
    content["vintage"] = "another"


def _version(content: dict) -> None:
    content["environment"]["wfplan"] = "9.9.9"


def _deleted_results(bundle: Path) -> str:
    (bundle / "results.parquet").unlink()
    shutil.rmtree(bundle / "tables")
    _reseal(bundle, _manifest(bundle))
    return "results.parquet: missing: every assessment bundle has this file"


def _nested_manifest(bundle: Path) -> str:
    shutil.copyfile(bundle / "manifest.json", bundle / "inputs" / "manifest.json")
    _reseal(bundle, _manifest(bundle))
    return "inputs/manifest.json: not a file an assessment writes"


TAMPERS = {
    "report figure": _report_figure,
    "xlsx cell": _xlsx_cell,
    "manifest seed": _manifest_field(_seed, "manifest.json: seed is 8 in the bundle but 7"),
    "manifest vintage": _manifest_field(
        _vintage, 'manifest.json: vintage is "another" in the bundle but "'),
    "manifest version": _manifest_field(_version, "by wfplan 9.9.9"),
    "deleted results.parquet and tables/": _deleted_results,
    "nested manifest.json": _nested_manifest,
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_a_resealed_tamper_of_a_signed_bundle_fails_under_the_trusted_key_naming_it(
        demo: World, kit: Kit, tmp_path: Path, tamper: str) -> None:
    bundle = _copy(demo.signed, tmp_path)
    named = TAMPERS[tamper](bundle)
    shown = _verify(kit, bundle, demo.public, code=4)
    assert "NOT VERIFIED" in shown
    assert named in shown, shown
    assert "manifest.sig: does not match manifest.json under the trusted key" in shown
    assert "NOT AUTHENTICATED" in shown


@pytest.mark.parametrize("tamper", ["report figure", "manifest seed",
                                    "deleted results.parquet and tables/"])
def test_a_resealed_tamper_of_an_unsigned_bundle_fails_naming_it_and_says_it_is_unsigned(
        world: World, kit: Kit, tmp_path: Path, tamper: str) -> None:
    bundle = _copy(world.unsigned, tmp_path)
    named = TAMPERS[tamper](bundle)
    shown = _verify(kit, bundle, code=4)
    assert named in shown, shown
    assert "AUTHENTICITY NOT CHECKED: the bundle is unsigned" in shown


# -- signatures ----------------------------------------------------------------------------------


def test_a_signed_bundle_verifies_under_its_key_naming_the_signer(demo: World,
                                                                  kit: Kit) -> None:
    fingerprint = _manifest(demo.signed)["signature"]["fingerprint"]
    shown = _verify(kit, demo.signed, demo.public, code=0)
    assert "VERIFIED" in shown
    assert f"AUTHENTIC: signed by {SIGNER} with trusted key {fingerprint}" in shown
    assert "2 report files re-rendered" in shown  # report.pdf only with --full


def test_a_signed_bundle_fails_under_any_other_key(world: World, kit: Kit) -> None:
    shown = _verify(kit, world.signed, world.other_public, code=4)
    assert "which is none of the trusted keys" in shown
    assert "NOT AUTHENTICATED" in shown


def test_a_trusted_keys_file_holds_one_key_a_line(world: World, kit: Kit,
                                                  tmp_path: Path) -> None:
    listing = tmp_path / "trusted_keys"
    listing.write_text("# keys we trust\n\n" + world.other_public.read_text(encoding="utf-8")
                       + world.public.read_text(encoding="utf-8"), encoding="utf-8")
    result = kit.cli("verify", world.signed, "--trusted-keys", listing)
    assert result.exit_code == 0, result.output
    assert f"trusted_keys, line 4 ({SIGNER})" in kit.plain(result.stdout)


def test_an_unsigned_bundle_says_it_is_unsigned_and_fails_under_a_trusted_key(
        world: World, kit: Kit) -> None:
    shown = _verify(kit, world.unsigned, code=0)
    assert "VERIFIED" in shown
    assert "AUTHENTICITY NOT CHECKED: the bundle is unsigned" in shown
    shown = _verify(kit, world.unsigned, world.public, code=4)
    assert "manifest.json: the bundle is unsigned, so it cannot be authenticated" in shown


def test_without_a_trusted_key_verify_says_authenticity_was_not_checked(world: World,
                                                                        kit: Kit) -> None:
    shown = _verify(kit, world.signed, code=0)
    assert f"AUTHENTICITY NOT CHECKED: no trusted key was given. The bundle says it is " \
           f"signed by {SIGNER}" in shown


def test_a_bundle_resigned_with_another_key_fails_under_the_trusted_key(
        world: World, kit: Kit, tmp_path: Path) -> None:
    bundle = _copy(world.signed, tmp_path)
    _report_figure(bundle)
    content = _manifest(bundle)
    fields = {k: v for k, v in content.items()
              if k not in ("format", "environment", "files", "manifest_sha256", "signature")}
    write_signed_manifest(bundle, fields, load_signing_key(world.other_key))
    shown = _verify(kit, bundle, world.public, code=4)
    assert "which is none of the trusted keys; its signature is valid under that key" in shown
    assert "report.html: line" in shown


def test_a_stripped_signature_fails_under_the_trusted_key(world: World, kit: Kit,
                                                          tmp_path: Path) -> None:
    bundle = _copy(world.signed, tmp_path)
    content = _manifest(bundle)
    content["signature"] = None
    (bundle / "manifest.sig").unlink()
    _reseal(bundle, content)
    shown = _verify(kit, bundle, world.public, code=4)
    assert "the bundle is unsigned, so it cannot be authenticated" in shown


def test_the_report_states_the_signer_and_the_key_fingerprint(world: World) -> None:
    fingerprint = _manifest(world.signed)["signature"]["fingerprint"]
    html = (world.signed / "report.html").read_text(encoding="utf-8")
    assert f"{SIGNER}, Ed25519 public key fingerprint {fingerprint}" in html
    assert "--trusted-key KEY.pub" in html
    notes = {row[0]: row[1] for row in load_workbook(world.signed / "tables.xlsx")["notes"]
             .iter_rows(values_only=True) if row and row[0]}
    assert notes["Signed by"] == f"{SIGNER}, Ed25519 public key fingerprint {fingerprint}"
    text = subprocess.run([_tool("pdftotext"), str(world.signed / "report.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert SIGNER in text
    assert fingerprint[:20] in text.replace("\n", "")
    unsigned = (world.unsigned / "report.html").read_text(encoding="utf-8")
    assert "Not signed: nothing in the bundle shows who made it" in unsigned


def test_a_finding_that_quotes_console_markup_is_shown_as_text(world: World, kit: Kit,
                                                              tmp_path: Path) -> None:
    bundle = _copy(world.unsigned, tmp_path)
    html = (bundle / "report.html").read_text(encoding="utf-8")
    start = html.index("Table 1. ")
    (bundle / "report.html").write_text(html[:start] + "[/bold] [red]" + html[start:],
                                        encoding="utf-8")
    shown = _verify(kit, bundle, code=4)
    assert "[/bold] [red]Table 1. " in shown


# -- keys ----------------------------------------------------------------------------------------


def test_keys_create_writes_a_private_key_only_its_owner_can_read_and_never_overwrites(
        kit: Kit, tmp_path: Path) -> None:
    result = kit.cli("keys", "create", "--out", tmp_path / "team", "--signer", SIGNER)
    assert result.exit_code == 0, result.output
    private, public = tmp_path / "team.key", tmp_path / "team.pub"
    assert private.stat().st_mode & 0o777 == 0o600
    assert public.read_text(encoding="utf-8").startswith("ssh-ed25519 ")
    before = private.read_bytes()
    again = kit.cli("keys", "create", "--out", tmp_path / "team")
    assert again.exit_code == 2
    assert "already exists: a key is never overwritten" in kit.plain(again.stderr)
    assert private.read_bytes() == before


def test_a_signer_name_a_spreadsheet_would_read_as_a_formula_is_refused(
        kit: Kit, tmp_path: Path) -> None:
    result = kit.cli("keys", "create", "--out", tmp_path / "team", "--signer", "=cmd|' /C calc'!A0")
    assert result.exit_code == 2
    assert "not starting with = + - or @" in kit.plain(result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_keys_create_refuses_a_place_inside_a_bundle(world: World, kit: Kit) -> None:
    result = kit.cli("keys", "create", "--out", world.unsigned / "inputs" / "key")
    assert result.exit_code == 2
    assert "inside the assessment bundle" in kit.plain(result.stderr)
    assert not (world.unsigned / "inputs" / "key.key").exists()


def test_the_fingerprint_is_openssh_s(world: World, kit: Kit) -> None:
    blob = base64.b64decode(world.public.read_text(encoding="utf-8").split()[1])
    expected = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert _manifest(world.signed)["signature"]["fingerprint"] == expected
    result = kit.cli("keys", "show", world.public)
    assert f"signer {SIGNER}; Ed25519 key fingerprint {expected}" in kit.plain(result.stdout)


def test_a_private_key_other_users_can_read_is_refused_for_signing(
        world: World, kit: Kit, tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.key"
    shutil.copyfile(world.key, leaky)
    leaky.chmod(0o644)
    result = kit.cli("assess", world.config, "--out", tmp_path / "bundle", "--sign", leaky,
                     "--db", world.db)
    assert result.exit_code == 2
    assert "other users can read this private key (mode 0644)" in kit.plain(result.stderr)
    assert not (tmp_path / "bundle").exists()


def test_a_private_key_given_as_a_trusted_key_is_refused_without_showing_it(
        world: World, kit: Kit) -> None:
    result = kit.cli("verify", world.signed, "--trusted-key", world.key)
    assert result.exit_code == 2
    shown = kit.plain(result.stderr)
    assert "this is a private key: give the public key (NAME.pub)" in shown
    secret = world.key.read_text(encoding="utf-8").splitlines()[2]
    assert secret not in result.output


def test_the_signature_checks_with_openssl_alone(world: World, kit: Kit,
                                                 tmp_path: Path) -> None:
    tool = _tool("openssl")
    pem = kit.cli("keys", "show", world.public, "--pem")
    (tmp_path / "key.pem").write_text(pem.stdout, encoding="ascii")
    (tmp_path / "sig").write_bytes(base64.b64decode((world.signed / "manifest.sig").read_bytes()))
    command = [tool, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "key.pem"),
               "-rawin", "-in", str(world.signed / "manifest.json"), "-sigfile",
               str(tmp_path / "sig")]
    checked = subprocess.run(command, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Signature Verified Successfully" in checked.stdout


# -- complete bundles, reproducible report files -------------------------------------------------


def test_a_symbolic_link_in_a_bundle_fails_naming_it(world: World, kit: Kit,
                                                     tmp_path: Path) -> None:
    bundle = _copy(world.unsigned, tmp_path)
    (bundle / "tables" / "elsewhere.parquet").symlink_to(bundle / "results.parquet")
    shown = _verify(kit, bundle, code=4)
    assert "tables/elsewhere.parquet: not a regular file (a symbolic link" in shown


def test_a_file_added_to_a_bundle_fails_naming_it(world: World, kit: Kit,
                                                  tmp_path: Path) -> None:
    bundle = _copy(world.unsigned, tmp_path)
    (bundle / "scenarios" / "manifest.json").write_text("{}", encoding="utf-8")
    shown = _verify(kit, bundle, code=4)
    assert "scenarios/manifest.json: not a file an assessment writes: it was added to the " \
           "bundle (and is not in the manifest)" in shown


def test_the_report_files_carry_the_manifest_s_date_only(world: World) -> None:
    created = datetime.fromisoformat(_manifest(world.signed)["created"])
    with zipfile.ZipFile(world.signed / "tables.xlsx") as workbook:
        stamps = {info.date_time for info in workbook.infolist()}
        core = workbook.read("docProps/core.xml").decode()
    assert stamps == {(created.year, created.month, created.day, created.hour, created.minute,
                       created.second // 2 * 2)}  # a zip file's times are to 2 seconds
    iso = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert core.count(iso) == 2, core  # dcterms:created and dcterms:modified
    info = subprocess.run([_tool("pdfinfo"), "-isodates", str(world.signed / "report.pdf")],
                          check=True, capture_output=True, text=True).stdout
    dates = dict(re.findall(r"^(CreationDate|ModDate):\s+(\S+)$", info, flags=re.MULTILINE))
    assert dates == {"CreationDate": iso, "ModDate": iso}


# -- a killed assessment ---------------------------------------------------------------------


def _partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("."))


def test_a_killed_assess_leaves_no_bundle_and_the_next_run_removes_its_folder(
        world: World, kit: Kit, tmp_path: Path) -> None:
    out = tmp_path / "published"
    out.mkdir()
    command = [sys.executable, "-m", "wfplan.cli", "assess", str(world.config), "--out",
               str(out / "bundle"), "--db", str(world.db)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # wait (bounded by the test timeout) until it is writing the inputs, then kill it
        while process.poll() is None and not any(
                (p / "bundle" / "inputs").is_dir() for p in _partials(out)):
            time.sleep(0.05)
        process.kill()
    finally:
        process.wait()
    left = _partials(out)
    assert len(left) == 1, left
    assert ".bundle.partial-" in left[0].name
    assert not (left[0] / "manifest.json").exists()
    assert not (out / "bundle").exists()
    result = kit.cli("assess", world.config, "--out", out / "again", "--db", world.db)
    assert result.exit_code == 0, result.output
    assert _partials(out) == []
    assert sorted(p.name for p in out.iterdir()) == ["again"]


def test_the_folder_of_a_running_assessment_is_kept(tmp_path: Path) -> None:
    from wfplan.assessment.bundle import partial_folder, remove_stale_partials

    out = tmp_path / "bundle"
    with partial_folder(out) as work:
        (work / "inputs").mkdir()
        assert remove_stale_partials(tmp_path) == []
        assert work.is_dir()
    assert _partials(tmp_path) == []
    abandoned = tmp_path / f".bundle.partial-{2**22 + 12345}-abcd1234"
    (abandoned / "bundle").mkdir(parents=True)
    (abandoned / "writer.lock").touch()
    unrelated = tmp_path / ".notes.partial-1-mine"
    (unrelated / "notes").mkdir(parents=True)
    assert remove_stale_partials(tmp_path) == [abandoned]
    assert unrelated.is_dir()
