"""Writes languages.json, the ISO 639 languages of /api/v1/reference/languages.

    python3 api/reference/languages.py ISO_CODES_JSON_DIR SIL_TABLES_DIR > api/reference/languages.json

ISO_CODES_JSON_DIR holds Debian's iso-codes (`iso_639-2.json`, `iso_639-3.json`, in
/usr/share/iso-codes/json); SIL_TABLES_DIR the registration authority's tables of ISO 639-3
(`iso-639-3-macrolanguages.tab`, `iso-639-3_Retirements.tab`; the PyPI package
python-iso639 ships them in `iso639/_data`).

Each language is listed once, by the code the repository keeps for it: ISO 639-1's where it has
one, else its three-letter code. `alpha3` and `bibliographic` are its other codes; `former`
the codes retired in its favour (ISO 639-1's `iw` for `he`, ISO 639-3's `mol` for `ro`), taken
for it; `macrolanguage` the code of the macrolanguage it belongs to (`sw` for `swh`), which
matching takes as sharing it.
"""

import csv
import json
import sys

codes_dir, sil_dir = sys.argv[1], sys.argv[2]
part2 = json.load(open(f"{codes_dir}/iso_639-2.json"))["639-2"]
part3 = json.load(open(f"{codes_dir}/iso_639-3.json"))["639-3"]


def table(name):
    with open(f"{sil_dir}/{name}", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


entries, by_alpha3 = [], {}
bibliographic = {x["alpha_3"]: x.get("bibliographic") for x in part2}
for source in (part3, part2):
    for x in source:
        if x["alpha_3"] in by_alpha3 or x["alpha_3"] == "qaa-qtz":
            continue
        entry = {"code": x.get("alpha_2", x["alpha_3"])}
        entry["alpha3"] = x["alpha_3"] if "alpha_2" in x else None
        b = x.get("bibliographic") or bibliographic.get(x["alpha_3"])
        entry["bibliographic"] = b if b and b != x["alpha_3"] else None
        entry["name"] = x["name"]
        entry["macrolanguage"] = None
        entry["former"] = []
        entries.append(entry)
        by_alpha3[x["alpha_3"]] = entry

for row in table("iso-639-3-macrolanguages.tab"):
    if row["I_Status"] == "A" and row["I_Id"] in by_alpha3 and row["M_Id"] in by_alpha3:
        by_alpha3[row["I_Id"]]["macrolanguage"] = by_alpha3[row["M_Id"]]["code"]

# ISO 639-1's withdrawn codes, still written by older software (Java's Locale among it).
former = {"iw": "heb", "in": "ind", "ji": "yid", "jw": "jav", "mo": "ron"}
for row in table("iso-639-3_Retirements.tab"):
    if row["Change_To"] in by_alpha3 and row["Id"] not in by_alpha3:
        former[row["Id"]] = row["Change_To"]
for old, new in sorted(former.items()):
    by_alpha3[new]["former"].append(old)

entries.sort(key=lambda e: (len(e["code"]), e["code"]))
taken = set()
for e in entries:
    for code in [e["code"], e["alpha3"], e["bibliographic"], *e["former"]]:
        if code:
            assert code not in taken, code
            taken.add(code)
# Fields that are null or empty are left out of the file (the service gives them as null).
compact = [{k: v for k, v in e.items() if v} for e in entries]
print("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in compact) + "\n]")
