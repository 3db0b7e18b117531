"""The error every write path raises when it refuses a request."""


class ServiceError(Exception):
    """A request the service refuses; ``code`` matches the protocol's codes."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
