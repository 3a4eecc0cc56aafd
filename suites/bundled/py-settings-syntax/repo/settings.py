"""Built-in defaults for the service."""

DEFAULTS = {
    "host": "127.0.0.1",
    "port": 8080,
    "workers": 4,
    "debug": False,
    "log_level": "info"
    "timeout": 30.0,
    "allowed_origins": [],
}
