"""Campaigns and settings stored in the database: round trip, edits, refusal of broken rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from promotions.campaigns import CampaignError, GlobalSettings
from promotions.files import SAMPLE_DIR, read_campaign_dir
from promotions.models import PromoCampaign, PromoSettings, PromoVariant
from promotions.repository import PromotionRepository, UnknownCampaign
from tests.promotions.conftest import FakeClock, campaign_dict


def test_sample_campaigns_come_back_from_the_database_unchanged(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    sample = read_campaign_dir(SAMPLE_DIR)
    for campaign in sample.campaigns:
        repo.save_campaign(campaign)
    stored = {c.key: c for c in repo.campaigns()}
    assert stored == {c.key: c for c in sample.campaigns}
    assert [c.key for c in repo.campaigns(statuses=["draft"])] == ["summer-preview"]


def test_broken_rule_is_refused_on_save_and_nothing_is_stored(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    with pytest.raises(CampaignError) as info:
        repo.save_campaign_data(campaign_dict(eligibility="total_spent >> 5"))
    assert "eligibility: expected a field or a value at column 14, found '>'" in str(info.value)
    assert repo.campaigns() == []


def test_editing_a_campaign_keeps_its_variant_rows_and_drops_removed_ones(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)
    data = campaign_dict()
    data["variants"].append({**data["variants"][0], "key": "b"})
    repo.save_campaign_data(data)
    with sessions() as s:
        ids = dict(s.execute(select(PromoVariant.key, PromoVariant.id)).all())
    data["variants"] = [{**data["variants"][0], "weight": 3}]
    data["name"] = "Renamed"
    repo.save_campaign_data(data)
    with sessions() as s:
        assert dict(s.execute(select(PromoVariant.key, PromoVariant.id)).all()) == {"a": ids["a"]}
        assert s.scalar(select(PromoCampaign.name)) == "Renamed"
    assert repo.campaign("spring").variants[0].weight == 3


def test_status_change_and_unknown_key(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    repo = PromotionRepository(sessions, clock)
    repo.save_campaign_data(campaign_dict())
    repo.set_status("spring", "paused")
    assert repo.campaign("spring").status == "paused"
    with pytest.raises(UnknownCampaign, match="no campaign with key 'autumn'"):
        repo.campaign("autumn")


def test_settings_default_until_saved(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    repo = PromotionRepository(sessions, clock)
    assert repo.settings() == GlobalSettings()
    repo.save_settings(GlobalSettings(holdout_share=0.1, max_offers_per_day=2))
    assert repo.settings() == GlobalSettings(holdout_share=0.1, max_offers_per_day=2)


def test_a_failing_alongside_write_leaves_campaign_and_settings_unsaved(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    # The console adds its audit entry this way: if that write fails, the change must not stand.
    repo = PromotionRepository(sessions, clock)
    seen = []

    def audit_down(s: Session, campaign: object = None) -> None:
        seen.append((s.in_transaction(), campaign))
        raise RuntimeError("audit log unavailable")

    with pytest.raises(RuntimeError, match="audit log unavailable"):
        repo.save_campaign_data(campaign_dict(), alongside=audit_down)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        repo.save_settings(GlobalSettings(holdout_share=0.2), alongside=audit_down)
    assert repo.campaigns() == [] and repo.settings() == GlobalSettings()
    assert seen[0][0] is True and seen[0][1].key == "spring"  # inside the save, validated
    assert seen[1] == (True, None)


def test_an_alongside_write_commits_with_the_campaign(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    repo = PromotionRepository(sessions, clock)

    def add_settings_row(s: Session, campaign: object) -> None:
        s.add(
            PromoSettings(
                id=1,
                holdout_share=0.3,
                max_offers_per_day=1,
                max_offers_per_week=3,
                attribution_days=7,
                updated_at=clock(),
            )
        )

    repo.save_campaign_data(campaign_dict(), alongside=add_settings_row)
    assert repo.campaign("spring").key == "spring"
    assert repo.settings().holdout_share == 0.3
