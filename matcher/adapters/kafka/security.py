"""How Kafka clients authenticate: :class:`~matcher.config.KafkaSettings` into client options.

One source for every client the project builds:

- :func:`kafka_python_security` gives the keyword arguments of kafka-python's ``KafkaProducer``,
  ``KafkaConsumer`` and ``KafkaAdminClient`` (``security_protocol``, ``sasl_*``, ``ssl_*``);
  nothing for PLAINTEXT, so that the default clients are built exactly as before;
- :func:`faust_credentials` gives faust's ``broker_credentials`` (``faust.SASLCredentials``
  or ``faust.SSLCredentials``, with an :class:`ssl.SSLContext` from :func:`ssl_context`);
  faust-streaming hands them to every aiokafka consumer and producer it makes (and the topic
  creation goes through those clients), SCRAM included.

Whether the files named exist (and the key opens) is checked here, when a client is built,
and reported as :class:`KafkaSecurityError` naming the setting. Nothing here logs or returns a
password except inside the options handed to the client libraries.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.config import SASL_PROTOCOLS, SSL_PROTOCOLS, KafkaSettings, kafka_env

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

__all__ = [
    "KafkaSecurityError",
    "check_files",
    "connection_hint",
    "describe",
    "faust_credentials",
    "kafka_python_security",
    "ssl_context",
]

_FILES = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")


class KafkaSecurityError(ValueError):
    """The Kafka security settings cannot be used (a file is missing, the key does not open)."""


def check_files(settings: KafkaSettings) -> None:
    """Every file named by the ``ssl_*`` settings exists and is a readable file."""
    if settings.security_protocol not in SSL_PROTOCOLS:
        return
    for field in _FILES:
        path: Path | None = getattr(settings, field)
        if path is None:
            continue
        if not path.exists():
            raise KafkaSecurityError(f"{kafka_env(field)}: {path} does not exist")
        if not path.is_file():
            raise KafkaSecurityError(f"{kafka_env(field)}: {path} is not a file")
        try:
            with path.open("rb"):
                pass
        except OSError as err:
            raise KafkaSecurityError(
                f"{kafka_env(field)}: {path} cannot be read ({err.strerror or err})"
            ) from None


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of the SSL and SASL_SSL protocols (None for the others): the broker's
    certificate checked against ``ssl_cafile`` (else the system's CAs), the host name checked
    unless ``ssl_check_hostname`` is false, and the client's certificate when one is set."""
    if settings.security_protocol not in SSL_PROTOCOLS:
        return None
    check_files(settings)
    cafile = str(settings.ssl_cafile) if settings.ssl_cafile is not None else None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except (ssl.SSLError, OSError) as err:
        raise KafkaSecurityError(
            f"{kafka_env('ssl_cafile')}: {cafile} holds no usable CA certificate ({err})"
        ) from None
    context.check_hostname = settings.ssl_check_hostname
    if settings.ssl_certfile is not None:
        password = (
            settings.ssl_password.get_secret_value() if settings.ssl_password is not None else None
        )
        try:
            context.load_cert_chain(
                str(settings.ssl_certfile),
                str(settings.ssl_keyfile) if settings.ssl_keyfile is not None else None,
                # Never OpenSSL's own prompt on the terminal: an encrypted key without
                # ssl_password fails here, naming the setting.
                password=password or _no_password,
            )
        except (ssl.SSLError, OSError) as err:
            raise KafkaSecurityError(
                f"{kafka_env('ssl_certfile')} / {kafka_env('ssl_keyfile')}: the client's "
                f"certificate and key cannot be loaded (a key that does not match the "
                f"certificate, or a wrong or missing {kafka_env('ssl_password')}): "
                f"{getattr(err, 'reason', None) or err}"
            ) from None
    return context


def _no_password() -> bytes:
    return b""


def kafka_python_security(settings: KafkaSettings) -> dict[str, Any]:
    """kafka-python keyword arguments for ``settings``' protocol; empty for PLAINTEXT.

    For SSL and SASL_SSL the files are checked and the TLS context is built once here, so that
    a missing file or a key that does not open is reported now, naming the setting, rather
    than as a connection failure later.
    """
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in SASL_PROTOCOLS:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = _sasl_password(settings)
    if protocol in SSL_PROTOCOLS:
        ssl_context(settings)  # fails now, naming the setting, if the files cannot be used
        options["ssl_check_hostname"] = settings.ssl_check_hostname
        for field in _FILES:
            path = getattr(settings, field)
            if path is not None:
                options[field] = str(path)
        if settings.ssl_password is not None:
            options["ssl_password"] = settings.ssl_password.get_secret_value()
    return options


def faust_credentials(settings: KafkaSettings) -> CredentialsT | None:
    """faust's ``broker_credentials`` for ``settings``' protocol; None for PLAINTEXT.

    SASL_PLAINTEXT: ``SASLCredentials(username, password, mechanism)``; SASL_SSL: the same with
    the TLS context of :func:`ssl_context` (faust then says SASL_SSL to aiokafka); SSL:
    ``SSLCredentials(context)``.
    """
    import faust

    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings)
    if protocol in SASL_PROTOCOLS:
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=_sasl_password(settings),
            mechanism=settings.sasl_mechanism,
            ssl_context=context,
        )
    return faust.SSLCredentials(context)


def _sasl_password(settings: KafkaSettings) -> str:
    # KafkaSettings refuses a SASL protocol without a password; this is for settings built
    # with model_construct or changed with model_copy, which skip that check.
    if settings.sasl_password is None or not settings.sasl_password.get_secret_value():
        raise KafkaSecurityError(
            f"{kafka_env('security_protocol')}={settings.security_protocol} needs "
            f"{kafka_env('sasl_password')}"
        )
    return settings.sasl_password.get_secret_value()


def describe(settings: KafkaSettings) -> str:
    """The security of the connection for a log line, without secrets: ``SASL_SSL (PLAIN as
    alice)``, ``SSL (client certificate)``, ``PLAINTEXT``."""
    protocol = settings.security_protocol
    details: list[str] = []
    if protocol in SASL_PROTOCOLS:
        details.append(f"{settings.sasl_mechanism} as {settings.sasl_username}")
    if protocol in SSL_PROTOCOLS and settings.ssl_certfile is not None:
        details.append("client certificate")
    return f"{protocol} ({', '.join(details)})" if details else protocol


def connection_hint(settings: KafkaSettings) -> str:
    """What to check when the broker answers but no client connection can be made with the
    configured security (kafka-python then only says "Unable to bootstrap"); empty for
    PLAINTEXT. Names the settings, never the password."""
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return ""
    causes: list[str] = []
    if protocol in SASL_PROTOCOLS:
        causes.append(
            f"SASL authentication failed ({settings.sasl_mechanism} as "
            f"{settings.sasl_username!r}): check {kafka_env('sasl_username')}, "
            f"{kafka_env('sasl_password')} and {kafka_env('sasl_mechanism')}"
        )
    if protocol in SSL_PROTOCOLS:
        files = [kafka_env("ssl_cafile")]
        if settings.ssl_certfile is not None:
            files += [kafka_env("ssl_certfile"), kafka_env("ssl_keyfile")]
        causes.append(
            f"the TLS handshake failed: check {', '.join(files)} and "
            f"{kafka_env('ssl_check_hostname')}"
        )
    causes.append(f"the listener at {settings.bootstrap_servers} does not speak {protocol}")
    return (
        f"the broker answers, but no {protocol} connection could be made: either "
        + "; or ".join(causes)
    )
