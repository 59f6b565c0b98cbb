"""Zalo ZNS, the parts that need no Django: filling a template's parameters, reading Zalo's answers, checking
a webhook's signature, and the money figures of the reports.

A ZNS template is approved by Zalo with its own parameter names (``ma_ho_so``, ``ngay_hen``...). An agency
says which of our fields fills which parameter; the same notice's SMS text is kept for the fallback.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum

# Our fields an agency can map to its template's parameters.
FIELD_CODE = "code"
FIELD_AGENCY = "agency"
FIELD_APPOINTMENT_DATE = "appointment_date"
FIELD_LOOKUP_LINK = "lookup_link"
FIELDS = (FIELD_CODE, FIELD_AGENCY, FIELD_APPOINTMENT_DATE, FIELD_LOOKUP_LINK)
# Zalo's limits on a parameter's value depend on its type (30 for a code, 200 for a name); 200 is the
# longest, and longer values are refused by Zalo as "template data invalid" anyway.
MAX_PARAM_LENGTH = 200


class MappingError(ValueError):
    """An agency's mapping that cannot fill a template."""


def check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """``{our field: template parameter}``, checked: known fields, non-empty parameter names, no parameter
    filled twice."""
    clean: dict[str, str] = {}
    for field, param in mapping.items():
        if field not in FIELDS:
            raise MappingError(f"unknown field {field!r}")
        param = (param or "").strip()
        if not param:
            continue
        if param in clean.values():
            raise MappingError(f"parameter {param!r} is filled twice")
        clean[field] = param
    if not clean:
        raise MappingError("no parameter is filled")
    return clean


def template_data(mapping: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The ``template_data`` of a send: each mapped parameter with the value of its field."""
    return {param: str(values.get(field, ""))[:MAX_PARAM_LENGTH] for field, param in mapping.items()}


# --- Zalo's answers -----------------------------------------------------------------------------------


class Outcome(Enum):
    """What an error of the send endpoint means for the notice.

    PERSON: this person cannot get it by ZNS (no Zalo, refuses ZNS, number invalid for Zalo): the SMS goes
    at once. TEMPORARY: try ZNS again later. TOKEN: the access token is not (or no longer) valid: refresh
    and retry. ACCOUNT: the OA or the app cannot send this now (wrong app, no balance, template not
    approved or not allowed, the day's limit reached): the SMS goes at once, and the operator is told,
    because every notice after this one will meet the same answer until someone acts."""

    PERSON = "person"
    TEMPORARY = "temporary"
    TOKEN = "token"
    ACCOUNT = "account"


# Codes of https://zalo.cloud/zns/guidelines/handle-error-code (see docs/INTEGRATION.md).
TEMPORARY_CODES = frozenset({-100})  # "Unknown error: try again later"
TOKEN_CODES = frozenset({-124})  # access token invalid
PERSON_CODES = frozenset({
    -108,  # phone number invalid
    -110,  # the person's Zalo version cannot show ZNS
    -114,  # user inactive, refuses the message, or an outdated Zalo version
    -118,  # no Zalo account for this number, or deactivated
    -119,  # this account cannot receive ZNS
    -134,  # the person has not accepted the OA's invitation to receive ZNS
    -139,  # the person refuses this type of ZNS
    -140,  # the OA may not send this person after-sales ZNS
    -141,  # the person refuses ZNS from this OA
    -1471,  # this person's monthly after-sales limit is reached
})
ACCOUNT_CODES = frozenset({
    -101, -102, -103, -104, -105, -106,  # app invalid / absent / inactive / wrong secret / no OA / method
    -115,  # the ZNS account has too little balance
    -117,  # the OA or app may not use this template
    -126,  # development-mode balance too low
    -131,  # template not approved
    -135, -1351,  # OA not verified, or on a free plan; OA blocked
    -136, -137,  # no Zalo Cloud Account linked; its payment failed
    -144, -147,  # the OA's daily ZNS limit; this template's daily limit
})


def classify(code: int) -> Outcome:
    """Any code we do not know is PERSON: the SMS goes at once, so an unforeseen refusal never delays a
    notice by the whole retry series, and a notice is never lost."""
    if code in TEMPORARY_CODES:
        return Outcome.TEMPORARY
    if code in TOKEN_CODES:
        return Outcome.TOKEN
    if code in ACCOUNT_CODES:
        return Outcome.ACCOUNT
    return Outcome.PERSON


def webhook_signature(app_id: str, body: str, timestamp: str, oa_secret_key: str) -> str:
    """``X-ZEvent-Signature``: SHA-256 (hex) of app id + raw body + the body's ``timestamp`` + OA secret key."""
    return hashlib.sha256(f"{app_id}{body}{timestamp}{oa_secret_key}".encode()).hexdigest()


def signature_ok(header: str, app_id: str, body: str, timestamp: str, oa_secret_key: str) -> bool:
    """Constant-time comparison, so a forger learns nothing from the time a wrong guess takes.
    Zalo's documentation shows the header as ``mac=<hex>``; both forms are accepted."""
    given = header.strip()
    if given.startswith("mac="):
        given = given[4:]
    expected = webhook_signature(app_id, body, timestamp, oa_secret_key)
    return bool(oa_secret_key) and hmac.compare_digest(given.lower().encode(), expected.encode())


# --- money ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelFigures:
    """One channel over a period: messages accepted by the channel, delivered, and what they cost (VND)."""

    sent: int = 0
    delivered: int = 0
    cost: int = 0


@dataclass(frozen=True)
class ZnsSavings:
    zns: ChannelFigures
    sms: ChannelFigures
    zns_attempts: int  # notices first tried through ZNS
    fallbacks: int  # of those, notices that went by SMS in the end
    sms_only_cost: int  # what the same notices would have cost as SMS only

    @property
    def fallback_rate(self) -> float | None:
        return self.fallbacks / self.zns_attempts if self.zns_attempts else None

    @property
    def saved(self) -> int:
        """Money saved against SMS only: may be negative when most ZNS attempts fell back."""
        return self.sms_only_cost - self.zns.cost - self.sms.cost


def savings(
    zns: ChannelFigures, sms: ChannelFigures, zns_attempts: int, fallbacks: int, sms_only_cost: int
) -> ZnsSavings:
    return ZnsSavings(zns=zns, sms=sms, zns_attempts=zns_attempts, fallbacks=fallbacks, sms_only_cost=sms_only_cost)
