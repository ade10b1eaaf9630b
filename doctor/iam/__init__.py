"""Local IAM policy evaluation for ssm-doctor's permission checks."""

from doctor.iam.evaluator import (
    Decision,
    Policy,
    Request,
    StatementRef,
    evaluate,
    evaluate_kms,
    least_privilege_policy,
)

__all__ = [
    "Decision",
    "Policy",
    "Request",
    "StatementRef",
    "evaluate",
    "evaluate_kms",
    "least_privilege_policy",
]
