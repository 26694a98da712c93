"""Production catalogs change only through `hipaachat promote` (and `shards move`).

`tenants new` and `tenants offboard` on a production stack would write a file no promotion
recorded, which `promote --check` then fails on every pull request. So they refuse here, before
anything is written, and print the one path CI accepts: make the change in prototype, commit it,
promote it.
"""

from __future__ import annotations

from components.settings import fleet_of

EXIT_REFUSED = 1


def refusal(verb: str, stack: str, tenant: str, extra: str = "") -> str | None:
    """The message refusing `tenants VERB --stack STACK`, or None when STACK is not a production stack."""
    if fleet_of(stack) != "production":
        return None
    return (f"{stack} is a production stack: its tenant files change only by promotion, so `promote --check` would "
            f"fail on a file written here. Instead run:\n"
            f"  hipaachat tenants {verb} --stack prototype {tenant}{extra}\n"
            f"  git add stacks/tenants/prototype/{tenant}.yaml && git commit -m '{verb} {tenant}'\n"
            f"  hipaachat promote --from prototype --to {stack} --tenant {tenant}"
            + ("   # or run the promote workflow" if verb == "offboard" else
               "\n(review and plan it in prototype first: hipaachat plan --stack prototype)"))
