"""ssm-doctor: diagnose and perform AWS Systems Manager password resets."""

__version__ = "0.1.0"
