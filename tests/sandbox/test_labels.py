"""The replica's visible labels agree with the client's default portal profile."""

from __future__ import annotations

import pytest

from portal.base import DepositState
from portal.profile import PortalProfile
from portal.sandbox import labels
from portal.sandbox.labels import Status, human_size

EXPECTED_STATES = {
    Status.PROCESSING: DepositState.PROCESSING,
    Status.PROCESSED: DepositState.PROCESSED,
    Status.PROCESSED_WITH_ERRORS: DepositState.PROCESSED_WITH_ERRORS,
    Status.REJECTED: DepositState.REJECTED,
}


@pytest.mark.parametrize("status", list(Status))
def test_labels_every_status_is_mapped_by_the_client_profile(status: Status) -> None:
    """Each status label the replica can show maps to the right state in the profile."""
    assert PortalProfile().state_of(status.value) is EXPECTED_STATES[status]


@pytest.mark.parametrize(
    ("profile_field", "label"),
    [
        ("login_path", labels.LOGIN_PATH),
        ("username_label", labels.USERNAME),
        ("password_label", labels.PASSWORD),
        ("login_button_label", labels.LOGIN_BUTTON),
        ("otp_label", labels.OTP_LABEL),
        ("otp_button_label", labels.OTP_BUTTON),
        ("logout_label", labels.LOGOUT),
        ("deposit_tab_label", labels.DEPOSIT_TAB),
        ("deposit_link_label", labels.DEPOSIT_LINK),
        ("upload_button_label", labels.UPLOAD_BUTTON),
        ("history_link_label", labels.HISTORY_LINK),
        ("column_file_name", labels.COLUMN_FILE_NAME),
        ("column_deposited_at", labels.COLUMN_DEPOSITED_AT),
        ("column_status", labels.COLUMN_STATUS),
        ("receipt_link_label", labels.RECEIPT_LINK),
        ("report_link_label", labels.REPORT_LINK),
        ("history_next_page_label", labels.NEXT_PAGE),
    ],
)
def test_labels_match_the_profile_defaults(profile_field: str, label: str) -> None:
    """The label the replica renders is the one the client looks for."""
    assert getattr(PortalProfile(), profile_field) == label


def test_labels_maintenance_page_text_is_recognised_by_the_client() -> None:
    """The maintenance text contains one of the profile's maintenance markers."""
    text = (labels.MAINTENANCE_TITLE + " " + labels.MAINTENANCE_TEXT).lower()
    assert any(marker in text for marker in PortalProfile().maintenance_texts)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 octets"), (1023, "1023 octets"), (1536, "1,5 Ko"), (200 * 1024 * 1024, "200,0 Mo")],
)
def test_labels_human_size_is_french(size: int, text: str) -> None:
    """Sizes are shown with French units and a decimal comma."""
    assert human_size(size) == text
