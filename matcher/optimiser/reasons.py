"""Why a delivery stays unfilled, and how the rules are coded in the eligibility arrays.

Shared by the pair-by-pair rules (:mod:`matcher.optimiser.eligibility`) and the vectorised
search (:mod:`matcher.optimiser.markets`).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ReasonCode(StrEnum):
    """Why (part of) a delivery stayed unfilled."""

    NO_SUPPLY = "no_supply"
    STANDARD_NOT_MET = "standard_not_met"
    CERTIFICATE_INVALID = "certificate_invalid"
    CROP_NOT_COVERED = "crop_not_covered"
    NO_FOOD_SAFETY_CREDENTIAL = "no_food_safety_credential"
    OUT_OF_RANGE = "out_of_range"
    PRICE_TOO_HIGH = "price_too_high"
    INSUFFICIENT_SUPPLY = "insufficient_supply"
    CAPACITY_TAKEN = "capacity_taken"
    SUPPLIER_LIMIT = "supplier_limit"
    """The delivery has as many suppliers as it allows and they hold no more."""
    BELOW_MIN_LOT = "below_min_lot"
    """Groups with free eligible supply only deliver lots larger than what is missing."""
    BUYER_LIMIT = "buyer_limit"
    """Groups with free eligible supply already serve as many buyers that week as they allow."""


# How far a candidate got through the rules: a later failure is a nearer miss.
RULE_ORDER: tuple[ReasonCode, ...] = (
    ReasonCode.STANDARD_NOT_MET,
    ReasonCode.CERTIFICATE_INVALID,
    ReasonCode.CROP_NOT_COVERED,
    ReasonCode.NO_FOOD_SAFETY_CREDENTIAL,
    ReasonCode.OUT_OF_RANGE,
    ReasonCode.PRICE_TOO_HIGH,
)

# In the arrays a rule is coded 1 + its position in RULE_ORDER; 0 means the pair is allowed.
ALLOWED = 0
CODE_STANDARD = 1 + RULE_ORDER.index(ReasonCode.STANDARD_NOT_MET)
CODE_CERTIFICATE = 1 + RULE_ORDER.index(ReasonCode.CERTIFICATE_INVALID)
CODE_CROP = 1 + RULE_ORDER.index(ReasonCode.CROP_NOT_COVERED)
CODE_FOOD_SAFETY = 1 + RULE_ORDER.index(ReasonCode.NO_FOOD_SAFETY_CREDENTIAL)
CODE_OUT_OF_RANGE = 1 + RULE_ORDER.index(ReasonCode.OUT_OF_RANGE)
CODE_PRICE = 1 + RULE_ORDER.index(ReasonCode.PRICE_TOO_HIGH)

BLOCK_CELLS = 1 << 21
"""Candidate pairs examined at once: bounds the temporary arrays of a large market."""
