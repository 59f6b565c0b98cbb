"""Dossier states and their national codes (TrangThaiHoSo).

The national portal (DVCQG) numbers dossier states 1–10. We keep our own names, because the
rules read better with them, and map both ways so the DongBoHoSoMC payload can be taken as sent.
"""

from __future__ import annotations

from enum import StrEnum


class DossierState(StrEnum):
    REGISTERED = "registered"  # 1 Mới đăng ký
    RECEIVED = "received"  # 2 Được tiếp nhận
    REJECTED = "rejected"  # 3 Không được tiếp nhận
    PROCESSING = "processing"  # 4 Đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 5 Yêu cầu bổ sung giấy tờ ("Chờ bổ sung")
    AWAITING_PAYMENT = "awaiting_payment"  # 6 Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # 7 Công dân yêu cầu rút hồ sơ
    STOPPED = "stopped"  # 8 Dừng xử lý
    RESULT_READY = "result_ready"  # 9 Đã xử lý xong (step "Trả kết quả")
    RETURNED = "returned"  # 10 Đã trả kết quả

    @property
    def national_code(self) -> int:
        return _TO_NATIONAL[self]

    @property
    def label(self) -> str:
        return LABELS[self]

    @classmethod
    def from_national(cls, code: int | str) -> DossierState:
        """Map a TrangThaiHoSo value (1–10, int or numeric string) to a state; ValueError otherwise."""
        try:
            number = int(str(code).strip())
        except ValueError:
            raise ValueError(f"TrangThaiHoSo phải là số từ 1 đến 10, nhận được {code!r}") from None
        if number not in _FROM_NATIONAL:
            raise ValueError(f"TrangThaiHoSo phải là số từ 1 đến 10, nhận được {number}")
        return _FROM_NATIONAL[number]

    @property
    def is_finished(self) -> bool:
        """Finished for the on-time rule: processed, returned, or ended without a result."""
        return self in FINISHED_STATES

    @property
    def is_closed(self) -> bool:
        """No further work by the agency is expected."""
        return self in CLOSED_STATES


_TO_NATIONAL = {state: number for number, state in enumerate(DossierState, start=1)}
_FROM_NATIONAL = {number: state for state, number in _TO_NATIONAL.items()}

LABELS = {
    DossierState.REGISTERED: "Mới đăng ký",
    DossierState.RECEIVED: "Được tiếp nhận",
    DossierState.REJECTED: "Không được tiếp nhận",
    DossierState.PROCESSING: "Đang xử lý",
    DossierState.SUPPLEMENT_REQUESTED: "Chờ bổ sung",
    DossierState.AWAITING_PAYMENT: "Chờ thực hiện nghĩa vụ tài chính",
    DossierState.WITHDRAWN: "Công dân rút hồ sơ",
    DossierState.STOPPED: "Dừng xử lý",
    DossierState.RESULT_READY: "Đã xử lý xong",
    DossierState.RETURNED: "Đã trả kết quả",
}

FINISHED_STATES = frozenset(
    {
        DossierState.RESULT_READY,
        DossierState.RETURNED,
        DossierState.STOPPED,
        DossierState.REJECTED,
        DossierState.WITHDRAWN,
    }
)
CLOSED_STATES = FINISHED_STATES

RESULT_STEP = "Trả kết quả"
DEFAULT_STEPS = ("Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt", RESULT_STEP)
