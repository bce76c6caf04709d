"""A tiny GeoIP (MaxMind .mmdb) database for tests, written with `mmdb-writer`, fully offline.

path = build_geoip_db(tmp_path, {"198.51.100.0/24": ("Germany", "DE", "Berlin")})
"""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

DEFAULT_NETWORKS: dict[str, tuple[str, str, str | None]] = {
    "198.51.100.0/24": ("Germany", "DE", "Berlin"),
    "192.0.2.0/24": ("Canada", "CA", "Toronto"),
    "2001:db8::/32": ("Japan", "JP", None),
}


def build_geoip_db(
    directory: Path, networks: dict[str, tuple[str, str, str | None]] | None = None
) -> Path:
    """Write a City-style database mapping each network to (country, iso code, city)."""
    writer = MMDBWriter(
        ip_version=6, database_type="GeoLite2-City", languages=["en"], ipv4_compatible=True
    )
    for network, (country, iso_code, city) in (networks or DEFAULT_NETWORKS).items():
        record: dict[str, object] = {"country": {"iso_code": iso_code, "names": {"en": country}}}
        if city:
            record["city"] = {"names": {"en": city}}
        writer.insert_network(IPSet([network]), record)
    path = directory / "geoip-test.mmdb"
    writer.to_db_file(str(path))
    return path
