#!/usr/bin/env python3
"""Generates crates/registry/data/vn-admin.json, traceport's compact table of Viet Nam's
administrative units, from the published crosswalk facts (merges-new-to-old.json and
splits-old-to-new.json).

Usage: scripts/gen-vn-admin.py SOURCE_DIR [OUT_FILE]

Facts kept: the 34 provinces and 3321 communes in force from 2025-07-01 (code, name), the 63
provinces and their communes in force until 2025-06-30 (code, name), and the crosswalk from each
old province and commune to the new unit(s) that took it over.
"""

import json
import sys
from pathlib import Path


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "crates/registry/data/vn-admin.json"
    merges = json.loads((src / "merges-new-to-old.json").read_text(encoding="utf-8"))["data"]
    splits = json.loads((src / "splits-old-to-new.json").read_text(encoding="utf-8"))["data"]

    provinces = []
    communes = []
    old_to_new_province = {}
    for p in sorted(merges, key=lambda p: p["level1_id"]):
        provinces.append([p["level1_id"], p["name"]])
        for m in p["merges"]:
            old_to_new_province[m["old_id"]] = p["level1_id"]
        for c in sorted(p["level2s"], key=lambda c: c["level2_id"]):
            communes.append([c["level2_id"], c["name"], p["level1_id"]])

    old_provinces = []
    old_communes = []
    for p in sorted(splits, key=lambda p: p["level1_id"]):
        new = old_to_new_province.get(p["level1_id"])
        if new is None:
            sys.exit(f"old province {p['level1_id']} has no new province")
        old_provinces.append([p["level1_id"], p["name"], new])
        for c in sorted(p["level3s"], key=lambda c: c["level3_id"]):
            targets = sorted({s["new_id"] for s in c["splits"]})
            old_communes.append([c["level3_id"], c["name"], p["level1_id"], targets])

    if len(provinces) != 34 or len(old_provinces) != 63:
        sys.exit(f"expected 34 new and 63 old provinces, got {len(provinces)} and {len(old_provinces)}")
    table = {
        "newFrom": "2025-07-01",
        "oldUntil": "2025-06-30",
        "provinces": provinces,
        "communes": communes,
        "oldProvinces": old_provinces,
        "oldCommunes": old_communes,
    }
    text = json.dumps(table, ensure_ascii=False, separators=(",", ":"))
    # One unit per line keeps diffs readable.
    text = text.replace("],[", "],\n[")
    out.write_text(text + "\n", encoding="utf-8")
    print(f"{out}: {len(provinces)} provinces, {len(communes)} communes, "
          f"{len(old_provinces)} old provinces, {len(old_communes)} old communes")


if __name__ == "__main__":
    main()
