"""The one error type a person sees: a single line that says what to fix."""


class UserError(Exception):
    """A problem with the user's input or set-up, worded as what to do about it.

    The command line prints it as one line and exits with status 2; the service
    logs it and carries on. Never a traceback.
    """
