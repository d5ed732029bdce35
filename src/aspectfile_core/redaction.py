"""Remove secrets from text before it is stored, logged or shown."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*):(?P<secret>[^/\s@]*)@"
)
_QUERY_SECRET = re.compile(
    r"(?P<key>(?:X-Amz-(?:Signature|Credential|Security-Token)|Signature|Credential|"
    r"AWSAccessKeyId|access_key|secret|password|passwd|token|sig|key)=)[^&\s'\",]+",
    re.IGNORECASE,
)
_AWS_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")
_NAMED_SECRET = re.compile(
    r"(?P<key>(?:aws_secret_access_key|aws_session_token|aws_security_token|secret_access_key|"
    r"x-amz-security-token|session_token|security_token|client_secret|api_key|passphrase|"
    r"secret|password|passwd)"
    r"['\"]?\s*[=:]\s*['\"]?)[^\s'\",}]+",
    re.IGNORECASE,
)
_AUTHORIZATION = re.compile(
    r"(?P<key>\bAuthorization['\"]?\s*[=:]\s*['\"]?(?:Basic|Bearer|AWS4-HMAC-SHA256|AWS)?\s*)"
    r"[^'\"\r\n]+",
    re.IGNORECASE,
)

REDACTED = "***"


def redact(text: str) -> str:
    """Return *text* with URL passwords, signed query values, AWS keys, authorization headers
    and named secrets masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m['key']}{REDACTED}", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['key']}{REDACTED}", text)
    text = _AWS_ACCESS_KEY.sub(REDACTED, text)
    return _NAMED_SECRET.sub(lambda m: f"{m['key']}{REDACTED}", text)
