"""Realistic Brazilian contacts from a fixed seed, for benchmarks.

Faker's pt_BR provider is too slow to call a million times, so it fills a pool
of 20,000 values per field once and every contact draws each field from the
pools with a seeded generator. The same seed and count give the same contacts
on every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from faker import Faker

POOL_SIZE = 20_000
SEED = 20261204


def _pools(seed: int) -> dict[str, list[Any]]:
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    pools: dict[str, list[Any]] = {
        "firstname": [], "lastname": [], "email": [], "mobile": [], "city": [],
        "state": [], "zipcode": [], "company": [], "birthday": [],
    }
    for _ in range(POOL_SIZE):
        pools["firstname"].append(fake.first_name())
        pools["lastname"].append(fake.last_name())
        pools["email"].append(fake.free_email_domain())
        pools["mobile"].append(fake.cellphone_number())
        pools["city"].append(fake.city())
        pools["state"].append(fake.estado_sigla())
        pools["zipcode"].append(fake.postcode())
        pools["company"].append(fake.company())
        pools["birthday"].append(fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat())
    return pools


def generate(count: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Yield *count* contacts with ids 1..count and ten fields each."""
    pools = _pools(seed)
    rng = random.Random(seed)
    pick = rng.randrange
    for lead_id in range(1, count + 1):
        first = pools["firstname"][pick(POOL_SIZE)]
        last = pools["lastname"][pick(POOL_SIZE)]
        yield {
            "id": lead_id,
            "firstname": first,
            "lastname": last,
            "email": f"{first.lower()}.{lead_id}@{pools['email'][pick(POOL_SIZE)]}",
            "mobile": pools["mobile"][pick(POOL_SIZE)],
            "city": pools["city"][pick(POOL_SIZE)],
            "state": pools["state"][pick(POOL_SIZE)],
            "zipcode": pools["zipcode"][pick(POOL_SIZE)],
            "company": pools["company"][pick(POOL_SIZE)],
            "points": pick(1000),
            "birthday": pools["birthday"][pick(POOL_SIZE)],
        }
