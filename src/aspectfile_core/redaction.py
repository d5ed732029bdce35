"""Remove secrets from text before it is stored, logged or shown."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*):(?P<secret>[^/\s@]*)@")
_QUERY_SECRET = re.compile(
    r"(?P<key>(?:X-Amz-(?:Signature|Credential|Security-Token)|Signature|AWSAccessKeyId|"
    r"access_key|secret|password|passwd|token|sig|key)=)[^&\s'\"]+",
    re.IGNORECASE,
)
_AWS_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")
_NAMED_SECRET = re.compile(
    r"(?P<key>(?:aws_secret_access_key|aws_session_token|secret_access_key|secret|password)"
    r"\s*[=:]\s*['\"]?)[^\s'\",}]+",
    re.IGNORECASE,
)

REDACTED = "***"


def redact(text: str) -> str:
    """Return *text* with URL passwords, signed query values, AWS keys and named secrets masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['key']}{REDACTED}", text)
    text = _AWS_ACCESS_KEY.sub(REDACTED, text)
    return _NAMED_SECRET.sub(lambda m: f"{m['key']}{REDACTED}", text)
