"""What the checks of the generated clients share: a failure, and tokens minted by the binary."""

from __future__ import annotations

import subprocess


class CheckFailed(Exception):
    pass


def mint(upr_tc: str, role: str, subject: str, *extra: str) -> str:
    """A token for `role`, signed with the service's secret by `upr-tc token`."""
    out = subprocess.run(
        [upr_tc, "token", "--role", role, "--subject", f"{subject}-{role}", *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()
