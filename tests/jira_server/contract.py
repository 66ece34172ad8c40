"""Validation of every request (and, as a self-check, every response) against Atlassian's OpenAPI subset.

The spec's only server is `https://your-domain.atlassian.net`; requests are validated as if addressed
there, so the imitation's host and port do not matter.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(
    os.environ.get("JIRA_OPENAPI_SPEC")
    or Path(__file__).resolve().parents[2] / "contracts" / "jira-openapi-subset.json"
)


@dataclass(frozen=True)
class ContractViolation:
    """One request (or response) that does not match the spec, with openapi-core's reasons."""

    method: str
    path: str
    kind: str  # "request" | "response"
    errors: tuple[str, ...]
    not_found: bool = False

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.path}: {' | '.join(self.errors)}"


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: Headers


_SERVER_URL = "https://your-domain.atlassian.net"


@cache
def spec() -> OpenAPI:
    """Load the subset once per process (~0.2 s); remember the server requests are validated against."""
    global _SERVER_URL
    with SPEC_PATH.open("rb") as handle:
        contents: dict[str, Any] = json.load(handle)
    _SERVER_URL = str((contents.get("servers") or [{"url": _SERVER_URL}])[0]["url"]).rstrip("/")
    return OpenAPI.from_dict(contents, config=Config(security_provider_factory=_SecurityProviders()))


class _OAuth2BearerProvider(BaseProvider):
    """openapi-core cannot check OAuth2 (it warns); an OAuth2 access token travels as `Bearer <token>`."""

    def __call__(self, parameters: RequestParameters) -> Any:
        scheme, _, token = str(parameters.header.get("Authorization", "")).partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SecurityProviderError("Missing bearer token.")
        return token


class _SecurityProviders(SecurityProviderFactory):
    PROVIDERS = {**SecurityProviderFactory.PROVIDERS, "oauth2": _OAuth2BearerProvider}


def _server_url() -> str:
    spec()
    return _SERVER_URL


def _request(
    method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes | None
) -> _Request:
    content_type = headers.get("content-type", "application/octet-stream")
    parameters = RequestParameters(
        query=ImmutableMultiDict(query), header=Headers(list(headers.items())), cookie=ImmutableMultiDict()
    )
    return _Request(_server_url(), path, method.lower(), body or None, content_type, parameters)


def check_request(
    method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes | None
) -> ContractViolation | None:
    """None if the request is valid for the spec, else the violation."""
    request = _request(method, path, query, headers, body)
    errors = list(spec().iter_request_errors(request))
    if not errors:
        return None
    not_found = any(isinstance(error, PathNotFound | OperationNotFound) for error in errors)
    return ContractViolation(method, path, "request", tuple(_describe(e) for e in errors), not_found)


def check_response(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    request_headers: dict[str, str],
    status: int,
    response_headers: dict[str, str],
    body: bytes,
) -> ContractViolation | None:
    """Self-check of the imitation: does a response body match what the spec declares?

    Known spec-vs-reality differences are tolerated: Jira's timestamps (`...000+0000`) are not RFC 3339
    `date-time`; 204 and property-write responses are declared with a JSON body but carry none; the remote-link list
    (GET .../remotelink without globalId) is declared as one object although the operation's own
    description and example return an array.
    """
    if status == 204 or _is_remote_link_list(method, path, query) or _is_property_write(method, path, body):
        return None
    request = _request(method, path, query, request_headers, None)
    content_type = response_headers.get("content-type", "application/json").split(";")[0]
    response = _Response(status, body, content_type, Headers(list(response_headers.items())))
    problems = [
        detail
        for error in spec().iter_response_errors(request, response)
        for detail in _details(error)
        if not _JIRA_TIMESTAMP.search(detail)
    ]
    if not problems:
        return None
    return ContractViolation(method, path, "response", tuple(problems))


def _is_property_write(method: str, path: str, body: bytes) -> bool:
    """PUT .../properties/{key} answers 200/201 with an empty body; the spec declares JSON content."""
    return method == "PUT" and "/properties/" in path and not body


def _is_remote_link_list(method: str, path: str, query: list[tuple[str, str]]) -> bool:
    return (
        method == "GET" and path.endswith("/remotelink") and not any(name == "globalId" for name, _ in query)
    )


_JIRA_TIMESTAMP = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}' is not a 'date-time'")


def _details(error: BaseException) -> list[str]:
    """The leaf schema errors behind an openapi-core error, or the error itself."""
    leaves: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        for detail in getattr(cause, "schema_errors", None) or []:
            where = "/".join(str(part) for part in detail.path) or "<root>"
            leaves.append(f"{where}: {detail.message}")
        cause = cause.__cause__
    return leaves or [_describe(error)]


def _describe(error: BaseException) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        if details:
            parts.extend(f"{'/'.join(str(p) for p in d.path) or '<root>'}: {d.message}" for d in details)
        else:
            parts.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return " <- ".join(parts)
