"""``ssm-doctor explain`` on the error messages of the domain facts' catalogue (§5), as people paste them.

Each row is a real message with other instance ids, regions, accounts and principals than the catalogue's own
example, with or without the AWS CLI's "An error occurred (X) when calling the Y operation:" prefix; then the
same messages wrapped the way fixed-width consoles and log viewers wrap them, in the middle of words.
"""

from __future__ import annotations

import pytest

from doctor.explain import CATALOGUE, explain, extract_target

MESSAGES: list[tuple[str, str]] = [
    (
        'SessionManagerPlugin is not found. Please refer to SessionManager Documentation here: '
        'http://docs.aws.amazon.com/console/systems-manager/session-manager-plugin-not-found',
        'plugin-not-found',
    ),
    (
        'An error occurred (AccessDeniedException) when calling the TerminateSession operation: User: '
        'arn:aws:iam::111122223333:user/bob is not authorized to perform: ssm:TerminateSession on '
        'resource: arn:aws:ssm:eu-west-1:111122223333:session/bob-0123456789abcdef0 because no '
        'identity-based policy allows the ssm:TerminateSession action.',
        'terminate-session-denied',
    ),
    (
        'An error occurred (TargetNotConnected) when calling the StartSession operation: '
        "i-0abcdef1234567890 isn't connected.",
        'target-not-connected',
    ),
    (
        'An error occurred (TargetNotConnected) when calling the StartSession operation: i-1234abcd is '
        'not connected.',
        'target-not-connected',
    ),
    (
        'An error occurred (BadRequest) when calling the StartSession operation: Enable '
        'advanced-instances tier to use Session Manager with your on-premises instances',
        'advanced-tier-required',
    ),
    (
        'An error occurred (AccessDeniedException) when calling the StartSession operation: User: '
        'arn:aws:iam::111122223333:user/bob is not authorized to perform: ssm:StartSession on resource: '
        'arn:aws:ec2:eu-west-1:111122223333:instance/i-0abcdef1234567890',
        'start-session-denied-node',
    ),
    (
        'An error occurred (AccessDeniedException) when calling the StartSession operation: User: '
        'arn:aws:iam::111122223333:user/bob is not authorized to perform: ssm:StartSession on resource: '
        'arn:aws:ssm:eu-west-1::document/AWS-PasswordReset because no identity-based policy allows the '
        'ssm:StartSession action',
        'start-session-denied-document',
    ),
    (
        'An error occurred (InvalidDocument) when calling the StartSession operation',
        'invalid-document',
    ),
    (
        'An error occurred (InvalidDocument) when calling the StartSession operation: Document '
        'AWS-PasswordReset does not exist in your account',
        'invalid-document',
    ),
    (
        '----------ERROR-------\nEncountered error while initiating handshake. KMSEncryption failed on '
        'client with status 2 error: Failed to process action KMSEncryption: Error calling KMS '
        'GenerateDataKey API: AccessDeniedException: User: '
        'arn:aws:sts::111122223333:assumed-role/Admin/bob is not authorized to perform: '
        'kms:GenerateDataKey on resource: arn:aws:kms:eu-west-2:111122223333:key/abcd because no '
        'resource-based policy allows the kms:GenerateDataKey action',
        'kms-generate-data-key-denied',
    ),
    (
        'Encountered error while initiating handshake. KMSEncryption failed on client with status 2 '
        'error: Failed to process action KMSEncryption: Error calling KMS GenerateDataKey API: '
        'NoCredentialProviders: no valid providers in chain.',
        'kms-no-credential-providers',
    ),
    (
        'Error calling KMS GenerateDataKey API: RequestError: send request failed caused by: Post '
        '"https://kms.eu-west-2.amazonaws.com/": x509: certificate signed by unknown authority',
        'kms-x509-unknown-authority',
    ),
    (
        'Error calling KMS GenerateDataKey API: ValidationException: Invalid EncryptionContext',
        'kms-invalid-encryption-context',
    ),
    (
        'Encountered error while initiating handshake. Fetching data key failed: Unable to retrieve data '
        'key, Error when decrypting data key AccessDeniedException: User: '
        'arn:aws:sts::111122223333:assumed-role/EC2Role/i-0abcdef1234567890 is not authorized to '
        'perform: kms:Decrypt',
        'kms-decrypt-denied',
    ),
    (
        'Error when decrypting data key InvalidCiphertextException:',
        'kms-invalid-ciphertext',
    ),
    (
        'Encountered error while initiating handshake. Handshake timed out. Please ensure that you have '
        'the latest version of the session manager plugin.',
        'handshake-timed-out',
    ),
    (
        'Timed out waiting for encryption challenge.',
        'encryption-challenge-failed',
    ),
    (
        'Encryption challenge does not match!',
        'encryption-challenge-failed',
    ),
    (
        'KMSEncryption failed on client with status 2 error: Installed version of CLI does not support '
        'Session Manager encryption feature. Please upgrade to the latest version of your CLI (e.g., AWS '
        'CLI).',
        'cli-lacks-encryption-support',
    ),
    (
        'Plugin with name Standard_Stream not found. Step name: Standard_Stream',
        'agent-plugin-not-found',
    ),
    (
        'Plugin with name Standard_Stream is not supported by this version of ssm agent, please update '
        'to latest version. Step name: Standard_Stream',
        'agent-plugin-not-supported',
    ),
    (
        'Setting up data channel with id bob-0123 failed: failed to create websocket for datachannel '
        'with error: CreateDataChannel failed with no output or error: createDataChannel request failed: '
        'unexpected response from the service <BadRequest xmlns=""><message>Unauthorized request: '
        'Request is not authenticated.</message></BadRequest>',
        'datachannel-not-authenticated',
    ),
    (
        '<AccessDeniedException> <Message>User: '
        'arn:aws:sts::111122223333:assumed-role/role/i-0abcdef1234567890 is not authorized to perform: '
        'ssmmessages:CreateDataChannel on resource: arn:aws:ssmmessages:us-east-1:111122223333:* with an '
        'explicit deny in a service control policy</Message>',
        'ssmmessages-scp-deny',
    ),
    (
        'document process failed unexpectedly: document worker timed out, check '
        '[ssm-document-worker]/[ssm-session-worker] log for crash reason',
        'document-worker-timed-out',
    ),
    (
        'Cannot perform start session: EOF',
        'start-session-no-tty',
    ),
    (
        'ERROR EC2RoleProvider Failed to connect to Systems Manager with SSM role credentials. error '
        "calling RequestManagedInstanceRoleToken: AccessDeniedException: Systems Manager's instance "
        'management role is not configured for account: 111122223333',
        'instance-management-role-not-configured',
    ),
    (
        "We couldn't start the session because encryption is not set up on the selected CloudWatch Logs "
        'log group. Either encrypt the log group or choose an option to enable logging without '
        'encryption.',
        'logging-encryption-not-set-up',
    ),
    (
        "Couldn't start the session because we are unable to validate encryption on CloudWatch Logs log "
        'group. Error: AccessDeniedException',
        'logging-encryption-unverifiable',
    ),
    (
        'failed to start pty since RunAs user ssm-user does not exist',
        'runas-user-missing',
    ),
    (
        'Reach the retry limit 5 for receive messages. Error: websocket: close 1006 (abnormal closure): '
        'unexpected EOF',
        'websocket-abnormal-close',
    ),
    (
        'Failed to sign websocket, NoCredentialProviders: no valid providers in chain',
        'websocket-sign-failed',
    ),
    (
        "The instance you selected isn't configured to use Session Manager",
        'node-not-configured-for-session-manager',
    ),
    (
        'An error occurred (AccessDeniedException) when calling the SendCommand operation: User: '
        'arn:aws:iam::111122223333:user/bob is not authorized to perform: ssm:SendCommand on resource: '
        'arn:aws:ec2:us-east-1:111122223333:instance/i-0abcdef1234567890',
        'send-command-denied',
    ),
    (
        'An error occurred (InvalidInstanceId) when calling the SendCommand operation: Instances '
        '[[i-0abcdef1234567890]] not in a valid state for account 111122223333',
        'invalid-instance-id',
    ),
    (
        'An error occurred (TargetNotConnected) when calling the\nStartSession operation: '
        'i-0abcdef1234567890\nis not connected.',
        'target-not-connected',
    ),
    (
        'An error occurred (AccessDeniedException) when calling the StartSession operation: User: '
        'arn:aws:iam::111122223333:user/bob is not authorized to perform:\n  ssm:StartSession on '
        'resource:\n  arn:aws:ec2:eu-west-1:111122223333:instance/i-0abcdef1234567890',
        'start-session-denied-node',
    ),
    (
        'Error calling KMS GenerateDataKey API: AccessDeniedException: The ciphertext refers to a '
        'customer master key that does not exist',
        'kms-generate-data-key-denied',
    ),
    (
        'Error calling KMS GenerateDataKey API: DisabledException: '
        'arn:aws:kms:us-east-1:111122223333:key/abcd is disabled.',
        'kms-key-unusable',
    ),
    (
        'Error calling KMS GenerateDataKey API: NotFoundException: Alias '
        'arn:aws:kms:us-east-1:111122223333:alias/foo is not found.',
        'kms-key-unusable',
    ),
    (
        'An error occurred (TargetNotConnected) when calling the StartSession operation: '
        'mi-0123456789abcdef0 is not connected.',
        'target-not-connected',
    ),
]

NOT_SESSION_MANAGER: list[str] = [
    'aws: error: argument --target: expected one argument',
    'An error occurred (ThrottlingException) when calling the StartSession operation: Rate exceeded',
    'An error occurred (ExpiredTokenException) when calling the StartSession operation: The security '
    'token included in the request is expired',
    'Unable to locate credentials. You can configure credentials by running "aws configure".',
    'An error occurred (UnrecognizedClientException) when calling the StartSession operation: The '
    'security token included in the request is invalid.',
    'An error occurred (ValidationException) when calling the StartSession operation: 1 validation '
    "error detected: Value 'i-123' at 'target' failed to satisfy constraint",
]


def best(text: str) -> str | None:
    matches = explain(text)
    return matches[0].error.id if matches else None


def hard_wrap(text: str, width: int) -> str:
    """Cut the text every ``width`` characters, words or not, as a fixed-width console copy does."""
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize(("text", "expected"), MESSAGES, ids=[f"{i:02d}-{e}" for i, (_, e) in enumerate(MESSAGES)])
def test_message_maps_to_its_cause(text: str, expected: str) -> None:
    assert best(text) == expected, [(m.error.id, m.score) for m in explain(text)]


@pytest.mark.parametrize("width", [37, 80])
@pytest.mark.parametrize(("text", "expected"), MESSAGES, ids=[f"{i:02d}-{e}" for i, (_, e) in enumerate(MESSAGES)])
def test_message_wrapped_mid_word_still_maps(text: str, expected: str, width: int) -> None:
    assert best(hard_wrap(text, width)) == expected


@pytest.mark.parametrize("text", NOT_SESSION_MANAGER)
def test_other_aws_errors_are_not_claimed(text: str) -> None:
    assert explain(text) == []


def test_every_cause_the_table_names_is_in_the_catalogue() -> None:
    ids = {e.id for e in CATALOGUE}
    assert {expected for _, expected in MESSAGES} <= ids
    assert len({expected for _, expected in MESSAGES}) >= 25


def test_an_instance_id_wrapped_across_lines_is_found_whole() -> None:
    text = ("An error occurred (TargetNotConnected) when calling the StartSession operation: i-0abcdef1\n"
            "234567890 is not connected.")
    assert extract_target(text) == "i-0abcdef1234567890"
    assert extract_target("Instance i-1234abcd is not connected.") == "i-1234abcd"
