"""Failures the trainer reports to the training run. Each becomes a Temporal ApplicationError
with its class name as the type: a bad request or bad data cannot succeed on a retry
(non-retryable), an incomplete read of Kafka may."""

from temporalio.exceptions import ApplicationError


class TrainerRequestError(ApplicationError):
    """The request does not follow the contract (another contract version, a missing field)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="TrainerRequestError", non_retryable=True)


class ExampleDataError(ApplicationError):
    """An example cannot be read or vectorised: the same ranges hold the same records, so no retry helps."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="ExampleDataError", non_retryable=True)


class ExampleReadError(ApplicationError):
    """Kafka or the schema registry did not give the pinned ranges in time; a retry may."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="ExampleReadError", non_retryable=False)
