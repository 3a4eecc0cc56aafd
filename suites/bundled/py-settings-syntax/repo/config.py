"""Read `key = value` files and merge them over settings.DEFAULTS."""

from settings import DEFAULTS

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(key, raw):
    default = DEFAULTS[key]
    if isinstance(default, bool):
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{key}: expected a boolean, got {raw!r}")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load(text):
    config = dict(DEFAULTS)
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ValueError(f"line {number}: expected key = value")
        key, raw = (part.strip() for part in line.split("=", 1))
        if key not in DEFAULTS:
            raise KeyError(f"line {number}: unknown setting {key!r}")
        config[key] = _coerce(key, raw)
    return config
