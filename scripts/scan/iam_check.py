"""IAM policy checkers for `npm run scan`: parliament (grammar, and its community auditors, among
them privilege escalation) and cloudsplaining (privilege escalation, data exfiltration, resource
exposure, infrastructure modification), over every policy file in a directory.

    python iam_check.py <policy-dir> <out.json>

Each input file is one policy document whose Terraform references were already replaced with
placeholder ARNs (scripts/scan/iam-policies.ts). Writes {file: {"parliament": [...],
"cloudsplaining": {...}}}; scripts/scan/iam-evaluate.ts judges the findings. Exit 0 unless a
checker crashed.
"""
import json
import os
import sys

from cloudsplaining.command.scan_policy_file import scan_policy
from parliament import analyze_policy_string


def parliament_findings(text: str) -> list:
    policy = analyze_policy_string(text, include_community_auditors=True)
    return [
        {
            "issue": f.issue,
            "severity": f.severity,
            "detail": f.detail if isinstance(f.detail, (str, list, dict)) else str(f.detail),
            "location": f.location if isinstance(f.location, (str, list, dict)) else str(f.location),
        }
        for f in policy.findings
    ]


def cloudsplaining_findings(text: str) -> dict:
    # Resource-constrained statements are flagged too: an escalation on a named role (a role that
    # may PutRolePolicy on itself) is still an escalation. Conditions are not evaluated by it.
    results = scan_policy(json.loads(text), flag_resource_arn_statements=True)
    return {k: v for k, v in results.items() if v}


def main(argv: list) -> int:
    policy_dir, out = argv
    report = {}
    for name in sorted(os.listdir(policy_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(policy_dir, name), encoding="utf-8") as fh:
            text = fh.read()
        identity = not name.startswith("resource--") and not name.startswith("trust--")
        report[name] = {
            "parliament": parliament_findings(text),
            # cloudsplaining reads identity policies only (resource and trust policies name principals).
            "cloudsplaining": cloudsplaining_findings(text) if identity else {},
        }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
