"""Campaign YAML files: read (one campaign, a list, or the global settings) and write.

A file holds one campaign mapping, a ``campaigns:`` list of them, and/or a
``global_settings:`` mapping. Problems come back as ``CampaignError`` naming the file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from promotions.campaign_export import campaign_to_dict
from promotions.campaigns import (
    Campaign,
    CampaignError,
    GlobalSettings,
    campaign_from_dict,
    settings_from_dict,
)

SAMPLE_DIR = Path(__file__).resolve().parent / "campaigns"
SETTINGS_FILE_NAME = "global_settings.yml"


@dataclass(frozen=True)
class CampaignFile:
    """What one YAML file defines."""

    campaigns: tuple[Campaign, ...]
    settings: GlobalSettings | None


def read_campaign_file(path: Path) -> CampaignFile:
    """Parse and validate ``path``; raises ``CampaignError`` with every problem found."""
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CampaignError(source, ["no such file"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CampaignError(
            source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from exc
    if not isinstance(data, dict):
        raise CampaignError(
            source, ["expected a campaign mapping, 'campaigns:' or 'global_settings:'"]
        )
    settings = None
    problems: list[str] = []
    if "global_settings" in data:
        data = dict(data)
        try:
            settings = settings_from_dict(data.pop("global_settings"), "global_settings")
        except CampaignError as exc:
            problems += [f"global_settings.{p}" for p in exc.problems]
    if "campaigns" in data:
        raw = data.pop("campaigns")
        items = raw if isinstance(raw, list) else [raw]
    else:
        items = [data] if data else []
    campaigns = []
    for i, item in enumerate(items):
        try:
            campaigns.append(campaign_from_dict(item, f"campaign {i + 1}"))
        except CampaignError as exc:
            problems += [f"{exc.source}: {p}" for p in exc.problems]
    if problems:
        raise CampaignError(source, problems)
    return CampaignFile(tuple(campaigns), settings)


def read_campaign_dir(folder: Path) -> CampaignFile:
    """Every ``*.yml`` file of ``folder`` together (the sample campaigns, an export)."""
    campaigns: list[Campaign] = []
    settings = None
    for path in sorted(folder.glob("*.yml")):
        found = read_campaign_file(path)
        campaigns += found.campaigns
        settings = found.settings or settings
    return CampaignFile(tuple(campaigns), settings)


def write_campaign_dir(
    folder: Path, campaigns: list[Campaign], settings: GlobalSettings | None
) -> list[Path]:
    """Write one ``<key>.yml`` per campaign (plus the global settings); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for campaign in campaigns:
        path = folder / f"{campaign.key}.yml"
        path.write_text(_dump(campaign_to_dict(campaign)), encoding="utf-8")
        written.append(path)
    if settings is not None:
        path = folder / SETTINGS_FILE_NAME
        path.write_text(_dump({"global_settings": asdict(settings)}), encoding="utf-8")
        written.append(path)
    return written


def _dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
