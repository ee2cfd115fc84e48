"""verify_credentials, and the PACER sign-in that submission shares with it.

Passwords and TOTP secrets are decrypted here, in memory, and never leave the
activity: errors name the credential id and PACER's result code only.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.dependencies import ActivityDependencies
from court_notices.activity_models import (
    CREDENTIAL_NOT_FOUND,
    INVALID_CREDENTIALS,
    LOGIN_REJECTED,
    VERIFY_CREDENTIALS,
    VerificationRequest,
    VerificationResult,
)
from court_notices.db import Credential, new_session
from court_notices.pacer import (
    InvalidCredentialsError,
    LoginRejectedError,
    PacerAuthClient,
    PacerLogin,
)
from court_notices.totp import one_time_code
from court_notices.vault import CredentialSecret, VaultError


def load_secret(
    dependencies: ActivityDependencies, credential_id: str
) -> tuple[CredentialSecret, Credential]:
    """Read and decrypt a stored credential; raise a non-retryable error if absent."""
    with new_session(dependencies.database_url) as session:
        credential = session.get(Credential, credential_id)
    if credential is None:
        raise ApplicationError(
            f"Credential {credential_id} not found. Store the CM/ECF login again "
            "and send modify_credentials with the new id.",
            type=CREDENTIAL_NOT_FOUND,
            non_retryable=True,
        )
    try:
        secret = dependencies.vault.decrypt(
            credential.key_id,
            credential.ciphertext,
            associated_data=credential.id.encode(),
        )
    except VaultError as error:
        # A missing key may appear once the key file is restored, so retry.
        raise ApplicationError(
            f"Credential {credential_id} could not be decrypted: {error}"
        ) from None
    return secret, credential


@asynccontextmanager
async def pacer_session(
    pacer_base_url: str, credential_id: str, secret: CredentialSecret
) -> AsyncIterator[PacerLogin]:
    """Sign in to PACER with a stored credential and sign out afterwards.

    A wrong password becomes a non-retryable error: PACER locks accounts after
    repeated failures, so a rejected password is never sent twice.
    """
    otp_code = one_time_code(secret.totp_secret) if secret.totp_secret else None

    async with PacerAuthClient(pacer_base_url) as client:
        try:
            async with client.session(
                login_id=secret.login_id,
                password=secret.password,
                client_code=secret.client_code,
                otp_code=otp_code,
            ) as login:
                yield login
        except InvalidCredentialsError:
            raise ApplicationError(
                f"PACER rejected credential {credential_id} (loginResult 13: "
                "invalid username, password or one-time passcode). Store the "
                "correct login and send modify_credentials with its id.",
                type=INVALID_CREDENTIALS,
                non_retryable=True,
            ) from None
        except LoginRejectedError as error:
            raise ApplicationError(
                f"PACER rejected credential {credential_id} (loginResult "
                f"{error.login_result}: {error.description}). Resolve it with the "
                "PACER Service Center, then send modify_credentials.",
                type=LOGIN_REJECTED,
                non_retryable=True,
            ) from None


class CredentialActivities:
    def __init__(self, dependencies: ActivityDependencies) -> None:
        self._dependencies = dependencies

    @activity.defn(name=VERIFY_CREDENTIALS)
    async def verify_credentials(
        self, request: VerificationRequest
    ) -> VerificationResult:
        secret, credential = await asyncio.to_thread(
            load_secret, self._dependencies, request.credential_id
        )
        if (credential.attorney_id, credential.court_id) != (
            request.attorney_id,
            request.court_id,
        ):
            raise ApplicationError(
                f"Credential {request.credential_id} belongs to "
                f"{credential.attorney_id} at {credential.court_id}; send "
                "modify_credentials with this attorney's login for "
                f"{request.court_id}.",
                type=CREDENTIAL_NOT_FOUND,
                non_retryable=True,
            )

        async with pacer_session(
            self._dependencies.pacer_base_url, request.credential_id, secret
        ) as login:
            activity.logger.info(
                "PACER accepted credential %s for %s",
                request.credential_id,
                request.court_id,
            )
            return VerificationResult(
                warning=login.warning, mfa_used=secret.totp_secret is not None
            )
