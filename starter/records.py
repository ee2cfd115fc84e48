"""Firms, users and credentials: the records an activation needs.

Every method checks its input and raises InputError with what to fix, before
anything is written.
"""

import re
import secrets

from sqlmodel import select

from court_notices.catalog import get_court
from court_notices.db import Credential, Firm, User, UserRole, new_session, utcnow
from court_notices.messages import ACTIVATION_ID_PATTERN
from court_notices.totp import one_time_code
from court_notices.vault import CredentialSecret, Vault

__all__ = ["InputError", "RecordStore"]

_ID_RE = re.compile(ACTIVATION_ID_PATTERN)


class InputError(ValueError):
    """Input rejected before anything was written or started."""


def check_id(kind: str, value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise InputError(
            f"Invalid {kind} id {value!r}: use 1-63 lowercase letters, digits, '_' "
            "or '.', starting with a letter or digit."
        )
    return value


def check_court(court_id: str) -> str:
    try:
        return get_court(court_id).court_id
    except ValueError as error:
        raise InputError(str(error)) from None


class RecordStore:
    def __init__(self, database_url: str, vault: Vault) -> None:
        self._database_url = database_url
        self._vault = vault

    def add_firm(self, firm_id: str, name: str) -> Firm:
        check_id("firm", firm_id)
        if not name.strip():
            raise InputError("The firm name is empty; pass the firm's name.")
        with new_session(self._database_url) as session:
            firm = session.get(Firm, firm_id) or Firm(id=firm_id, name=name)
            firm.name = name.strip()
            session.add(firm)
            session.commit()
            return firm

    def add_user(
        self, user_id: str, *, firm_id: str, name: str, email: str, role: UserRole
    ) -> User:
        check_id("user", user_id)
        if "@" not in email:
            raise InputError(f"Invalid e-mail address {email!r} for user {user_id}.")
        with new_session(self._database_url) as session:
            if session.get(Firm, firm_id) is None:
                raise InputError(f"Firm {firm_id} not found; add the firm first.")
            user = session.get(User, user_id)
            if user is not None and user.firm_id != firm_id:
                raise InputError(
                    f"User {user_id} already belongs to firm {user.firm_id}."
                )
            user = user or User(
                id=user_id, firm_id=firm_id, name=name, email=email, role=role
            )
            user.name, user.email, user.role = name, email, role
            session.add(user)
            session.commit()
            return user

    def add_credential(
        self,
        *,
        attorney_id: str,
        court_id: str,
        secret: CredentialSecret,
    ) -> Credential:
        """Encrypt and store a CM/ECF login; return the row (without secrets)."""
        court_id = check_court(court_id)
        if not secret.password.strip():
            raise InputError("The password is empty; enter the CM/ECF password.")
        if secret.totp_secret:
            # Computing one code proves the secret is usable before it is stored.
            one_time_code(secret.totp_secret)

        with new_session(self._database_url) as session:
            attorney = session.get(User, attorney_id)
            if attorney is None:
                raise InputError(
                    f"Attorney user {attorney_id} not found; add the attorney with "
                    "role attorney first."
                )
            if attorney.role != UserRole.ATTORNEY:
                raise InputError(
                    f"User {attorney_id} is {attorney.role}, not an attorney; "
                    "CM/ECF logins are stored for attorney users only."
                )
            credential_id = f"cred_{secrets.token_hex(8)}"
            key_id, ciphertext = self._vault.encrypt(
                secret, associated_data=credential_id.encode()
            )
            credential = Credential(
                id=credential_id,
                attorney_id=attorney_id,
                court_id=court_id,
                key_id=key_id,
                ciphertext=ciphertext,
                mfa_enrolled=secret.totp_secret is not None,
            )
            session.add(credential)
            session.commit()
            return credential

    def get_credential(self, credential_id: str) -> Credential | None:
        with new_session(self._database_url) as session:
            return session.get(Credential, credential_id)

    def check_activation_input(
        self, *, firm_id: str, attorney_id: str, court_id: str, credential_id: str
    ) -> str:
        """Check what an activation start needs; return the canonical court id."""
        check_id("firm", firm_id)
        check_id("attorney", attorney_id)
        court_id = check_court(court_id)
        credential = self.get_credential(credential_id)
        if credential is None:
            raise InputError(
                f"Credential {credential_id} not found. Store the login with "
                "`python -m starter credentials add` and pass the id it prints."
            )
        if (credential.attorney_id, credential.court_id) != (attorney_id, court_id):
            raise InputError(
                f"Credential {credential_id} is for {credential.attorney_id} at "
                f"{credential.court_id}, not {attorney_id} at {court_id}."
            )
        return court_id

    def reencrypt_credentials(self) -> int:
        """Re-encrypt every credential not under the active key; return the count."""
        count = 0
        with new_session(self._database_url) as session:
            for credential in session.exec(select(Credential)).all():
                if not self._vault.needs_reencryption(credential.key_id):
                    continue
                credential.key_id, credential.ciphertext = self._vault.reencrypt(
                    credential.key_id,
                    credential.ciphertext,
                    associated_data=credential.id.encode(),
                )
                credential.updated_at = utcnow()
                session.add(credential)
                count += 1
            session.commit()
        return count
