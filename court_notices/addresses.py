"""Noticing addresses: the mailbox each activation gives the court."""

import hashlib

__all__ = ["noticing_address"]


def noticing_address(*, workflow_id: str, court_id: str, domain: str) -> str:
    """Return the activation's address, the same on every call and every run.

    A retried provisioning activity and a later re-activation of the same
    attorney and court get the same address, so the court's record stays valid.
    The hash keeps firm and attorney ids out of a mailbox name that courts and
    other parties on the NEF see.
    """
    digest = hashlib.sha256(workflow_id.encode()).hexdigest()[:20]
    return f"{court_id}-{digest}@{domain.lower()}"
