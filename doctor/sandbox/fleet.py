"""The built-in demo fleet: one seeded node per diagnosable situation.

`seed` builds everything through the AWS API (boto3) where a real API exists, so it runs
the same against ``mock_aws`` and against the sandbox HTTP server. Node properties that
only the SSM Agent could report (agent version, ping status, connectivity) are set with
``ssm-sandbox:*`` EC2 tags; hybrid nodes are registered through the
``/ssm-sandbox/managed-nodes/<id>`` parameter (see `doctor.sandbox.moto_ext`).

The expected verdicts and root causes are data for the end-to-end tests; they follow the
check catalogue in SPEC.md.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from doctor.sandbox import moto_ext

if TYPE_CHECKING:
    import boto3

ACCOUNT_ID = "123456789012"
#: Session Manager preferences are per region, so each region-wide fault has a region of its own.
KMS_OFF_REGION = "us-west-2"  # preferences without kmsKeyId
KEY_DISABLED_REGION = "us-east-2"  # preferences name a disabled key
LOGGING_REGION = "ca-central-1"  # S3 logging with encryption required, to an unencrypted bucket
PRIVATE_REGION = "eu-central-1"  # a private subnet reaching Systems Manager through VPC endpoints
KEY_POLICY_REGION = "ap-northeast-1"  # the key policy names the node role only: callers may not use the key
REGIONS = ("us-east-1", "eu-west-1", KMS_OFF_REGION, KEY_DISABLED_REGION, LOGGING_REGION, PRIVATE_REGION,
           KEY_POLICY_REGION)
#: Two running, registered instances share this Name tag in us-east-1.
AMBIGUOUS_NAME = "app-dup"
INSTANCE_ROLE = "SSMInstanceRole"
INSTANCE_PROFILE = "SSMInstanceRole"
#: A role with AmazonSSMManagedInstanceCore but no kms:Decrypt on the session key.
NO_KMS_ROLE = "SSMInstanceRoleNoKms"
NO_KMS_PROFILE = "SSMInstanceRoleNoKms"
#: The session-log bucket of LOGGING_REGION (it has no default encryption) is named with this prefix and a random
#: suffix: moto keeps S3 bucket names process-wide, so two sandboxes open at once cannot share a name.
LOG_BUCKET_PREFIX = "ssm-doctor-sandbox-logs-"
SERVICE_ROLE = "SSMServiceRole"
#: The role of a hybrid activation that has since been deleted.
DELETED_SERVICE_ROLE = "SSMServiceRoleDeleted"
#: Permission faults: a role that cannot open Session Manager channels, and Default Host Management in one region.
NO_MESSAGES_ROLE = "SSMRoleWithoutMessages"
NO_MESSAGES_PROFILE = "SSMRoleWithoutMessages"
DHMC_REGION = "eu-west-1"
DHMC_ROLE = "AWSSystemsManagerDefaultEC2InstanceManagementRole"
DHMC_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
MANAGED_POLICY_NAME = "AmazonSSMManagedInstanceCore"
MANAGED_POLICY_ARN = f"arn:aws:iam::aws:policy/{MANAGED_POLICY_NAME}"
KMS_ALIAS = "alias/session-manager"
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
ACTIVATION_TIER = {region: "standard" for region in REGIONS} | {"eu-west-1": "advanced"}


@dataclass(frozen=True)
class Scenario:
    """One seeded node and what a diagnosis of it should conclude."""

    key: str
    title: str
    region: str
    name: str  # Name tag (EC2) or computer name (hybrid)
    kind: str  # "ec2" | "hybrid"
    expect_verdict: str
    expect_root_causes: tuple[str, ...]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy-linux", "Healthy Linux instance", "us-east-1", "web-01", "ec2", "ready", ()),
    Scenario("healthy-windows", "Healthy Windows instance", "us-east-1", "win-01", "ec2", "ready", ()),
    Scenario(
        "old-agent",
        "SSM Agent too old for password reset (2.3.50.0)",
        "us-east-1",
        "legacy-01",
        "ec2",
        "blocked",
        ("agent.version",),
    ),
    Scenario(
        "connection-lost",
        "Agent stopped reporting three days ago",
        "us-east-1",
        "batch-07",
        "ec2",
        "blocked",
        ("node.online",),
    ),
    Scenario(
        "not-registered",
        "Running instance with no instance profile, never registered",
        "us-east-1",
        "db-02",
        "ec2",
        "blocked",
        ("node.registered", "node.identity"),
    ),
    Scenario("stopped", "Stopped instance", "us-east-1", "report-03", "ec2", "blocked", ("ec2.instance",)),
    Scenario(
        "hybrid-standard",
        "On-premises node while the activation tier is standard",
        "us-east-1",
        "onprem-fs01",
        "hybrid",
        "blocked",
        ("hybrid.tier",),
    ),
    Scenario(
        "hybrid-advanced",
        "On-premises Windows node with the advanced-instances tier",
        "eu-west-1",
        "onprem-dc02",
        "hybrid",
        "ready",
        (),
    ),
    Scenario(
        "hybrid-role-deleted",
        "On-premises node whose activation's IAM role was deleted",
        "eu-west-1",
        "onprem-app03",
        "hybrid",
        "blocked",
        ("node.identity",),
    ),
    Scenario(
        "recent-failures",
        "Healthy instance with two failed sessions in the last day",
        "us-east-1",
        "api-04",
        "ec2",
        "ready",
        (),
    ),
    Scenario(
        "kms-off",
        "Session Manager preferences without KMS encryption",
        KMS_OFF_REGION,
        "kmsoff-01",
        "ec2",
        "blocked",
        ("prefs.kms",),
    ),
    Scenario(
        "kms-key-disabled",
        "The preferences' KMS key is disabled",
        KEY_DISABLED_REGION,
        "keyoff-01",
        "ec2",
        "blocked",
        ("kms.key",),
    ),
    Scenario(
        "role-without-decrypt",
        "Instance role without kms:Decrypt on the session key",
        PRIVATE_REGION,
        "nokms-01",
        "ec2",
        "blocked",
        ("node.kms-decrypt",),
    ),
    Scenario(
        "caller-kms-key-policy",
        "The key policy lets the node's role decrypt, but not you generate data keys",
        KEY_POLICY_REGION,
        "tokyo-01",
        "ec2",
        "blocked",
        ("caller.kms",),
    ),
    Scenario(
        "s3-logging-unencrypted",
        "S3 session logging requires encryption, the bucket has none",
        LOGGING_REGION,
        "audit-01",
        "ec2",
        "blocked",
        ("prefs.logging",),
    ),
    Scenario(
        "private-no-endpoints",
        "Private subnet without VPC endpoints; the agent never registered",
        "us-east-1",
        "vault-01",
        "ec2",
        "blocked",
        ("node.registered", "network.path"),
    ),
    Scenario(
        "private-endpoints",
        "Private subnet reaching Systems Manager through VPC endpoints",
        PRIVATE_REGION,
        "private-01",
        "ec2",
        "ready",
        (),
    ),
    Scenario(
        "start-session-prod-tag",
        "You may start sessions only on nodes tagged Env=dev; this one is Env=prod",
        "us-east-1",
        "billing-01",
        "ec2",
        "blocked",
        ("caller.start-session",),
    ),
    Scenario(
        "send-command-denied-node",
        "An explicit Deny on ssm:SendCommand for this node",
        "us-east-1",
        "payroll-01",
        "ec2",
        "blocked",
        ("caller.send-command",),
    ),
    Scenario(
        "role-without-ssmmessages",
        "Instance role without the ssmmessages actions: the agent is online but cannot open channels",
        "us-east-1",
        "reports-02",
        "ec2",
        "blocked",
        ("node.connectable", "node.role-permissions"),
    ),
    Scenario(
        "dhmc-no-profile",
        "No instance profile; Default Host Management gives the node its role",
        DHMC_REGION,
        "dhmc-01",
        "ec2",
        "ready",
        (),
    ),
    Scenario(
        "dhmc-imdsv1",
        "No instance profile and IMDSv1 allowed: Default Host Management cannot serve it",
        DHMC_REGION,
        "dhmc-02",
        "ec2",
        "blocked",
        ("node.registered", "node.identity"),
    ),
)

#: The real AmazonSSMManagedInstanceCore document, used when moto has not loaded
#: AWS-managed policies and a customer-managed stand-in must be created.
MANAGED_INSTANCE_CORE_DOCUMENT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ssm:DescribeAssociation",
                "ssm:GetDeployablePatchSnapshotForInstance",
                "ssm:GetDocument",
                "ssm:DescribeDocument",
                "ssm:GetManifest",
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:ListAssociations",
                "ssm:ListInstanceAssociations",
                "ssm:PutInventory",
                "ssm:PutComplianceItems",
                "ssm:PutConfigurePackageResult",
                "ssm:UpdateAssociationStatus",
                "ssm:UpdateInstanceAssociationStatus",
                "ssm:UpdateInstanceInformation",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "ec2messages:AcknowledgeMessage",
                "ec2messages:DeleteMessage",
                "ec2messages:FailMessage",
                "ec2messages:GetEndpoint",
                "ec2messages:GetMessages",
                "ec2messages:SendReply",
            ],
            "Resource": "*",
        },
    ],
}

#: What the default sandbox caller (IAM user ``moto``) may do.
OPERATOR_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SessionManagerOperator",
            "Effect": "Allow",
            "Action": [
                "ssm:*",
                "ec2:Describe*",
                "iam:Get*",
                "iam:List*",
                "iam:Simulate*",
                "kms:*",
                "sts:GetCallerIdentity",
                "logs:Describe*",
                "s3:GetBucket*",
                "s3:GetEncryptionConfiguration",
            ],
            "Resource": "*",
        },
        {
            "Sid": "StartSessionOnlyOnDevNodes",
            "Effect": "Deny",
            "Action": "ssm:StartSession",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"],
            "Condition": {"StringNotEquals": {"ssm:resourceTag/Env": "dev"}, "Null": {"ssm:resourceTag/Env": "false"}},
        },
    ],
}


#: What the instance roles may do for session logging (S3 and CloudWatch Logs).
LOGGING_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{LOG_BUCKET_PREFIX}*/*"},
            {"Effect": "Allow", "Action": "s3:GetEncryptionConfiguration", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ],
                "Resource": "*",
            },
        ],
    }
)


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def _preferences(kms_key_arn: str, s3_bucket: str = "", s3_encryption: bool | str = True) -> str:
    """The preferences document; flags may be booleans or strings, as SSM Agent accepts both."""
    return json.dumps(
        {
            "schemaVersion": "1.0",
            "description": "Document to hold regional settings for Session Manager",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": s3_bucket,
                "s3KeyPrefix": "sessions/" if s3_bucket else "",
                "s3EncryptionEnabled": s3_encryption,
                "cloudWatchLogGroupName": "",
                "cloudWatchEncryptionEnabled": True,
                "cloudWatchStreamingEnabled": True,
                "kmsKeyId": kms_key_arn,
                "runAsEnabled": False,
                "runAsDefaultUser": "",
                "idleSessionTimeout": "20",
                "maxSessionDuration": "",
                "shellProfile": {"windows": "", "linux": ""},
            },
        },
        indent=2,
    )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Seeder:
    def __init__(self, session: boto3.Session, endpoint_url: str | None) -> None:
        self.session: Any = session
        self.endpoint_url = endpoint_url
        self.now = dt.datetime.now(dt.timezone.utc)
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url)
        return self._clients[key]

    # -- IAM (global) -------------------------------------------------------------

    def iam(self, kms_key_arns: list[str]) -> str:
        iam = self.client("iam", REGIONS[0])
        core_arn = self._managed_instance_core(iam)
        decrypt = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arns}],
            }
        )
        iam.create_role(
            RoleName=INSTANCE_ROLE,
            AssumeRolePolicyDocument=_trust("ec2.amazonaws.com"),
            Description="Lets EC2 instances be managed by Systems Manager",
        )
        iam.attach_role_policy(RoleName=INSTANCE_ROLE, PolicyArn=core_arn)
        iam.put_role_policy(RoleName=INSTANCE_ROLE, PolicyName="SessionManagerKmsDecrypt", PolicyDocument=decrypt)
        iam.put_role_policy(RoleName=INSTANCE_ROLE, PolicyName="SessionManagerLogging", PolicyDocument=LOGGING_POLICY)
        iam.create_instance_profile(InstanceProfileName=INSTANCE_PROFILE)
        iam.add_role_to_instance_profile(InstanceProfileName=INSTANCE_PROFILE, RoleName=INSTANCE_ROLE)
        # The same role without the KMS grant: sessions cannot decrypt the session key.
        iam.create_role(
            RoleName=NO_KMS_ROLE,
            AssumeRolePolicyDocument=_trust("ec2.amazonaws.com"),
            Description="Managed by Systems Manager, but may not use the session KMS key",
        )
        iam.attach_role_policy(RoleName=NO_KMS_ROLE, PolicyArn=core_arn)
        iam.put_role_policy(RoleName=NO_KMS_ROLE, PolicyName="SessionManagerLogging", PolicyDocument=LOGGING_POLICY)
        iam.create_instance_profile(InstanceProfileName=NO_KMS_PROFILE)
        iam.add_role_to_instance_profile(InstanceProfileName=NO_KMS_PROFILE, RoleName=NO_KMS_ROLE)
        iam.create_role(
            RoleName=SERVICE_ROLE,
            AssumeRolePolicyDocument=_trust("ssm.amazonaws.com"),
            Description="Role for hybrid activations",
        )
        iam.attach_role_policy(RoleName=SERVICE_ROLE, PolicyArn=core_arn)
        iam.put_role_policy(RoleName=SERVICE_ROLE, PolicyName="SessionManagerKmsDecrypt", PolicyDocument=decrypt)
        iam.create_user(UserName="moto")
        iam.put_user_policy(
            UserName="moto",
            PolicyName="SessionManagerOperator",
            PolicyDocument=json.dumps(OPERATOR_POLICY),
        )
        return INSTANCE_PROFILE

    @staticmethod
    def _managed_instance_core(iam: Any) -> str:
        try:
            iam.get_policy(PolicyArn=MANAGED_POLICY_ARN)
            return MANAGED_POLICY_ARN
        except iam.exceptions.NoSuchEntityException:
            created = iam.create_policy(
                PolicyName=MANAGED_POLICY_NAME,
                PolicyDocument=json.dumps(MANAGED_INSTANCE_CORE_DOCUMENT),
                Description="Stand-in for the AWS managed policy of the same name",
            )
            return str(created["Policy"]["Arn"])

    def permission_roles(self, kms_key_arns: list[str]) -> None:
        """A role without the ssmmessages actions, and Default Host Management in DHMC_REGION."""
        iam = self.client("iam", REGIONS[0])
        no_messages = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AgentRegistration", "Effect": "Allow", "Action": "ssm:UpdateInstanceInformation",
                 "Resource": "*"},
                {"Sid": "RunCommand", "Effect": "Allow", "Action": "ec2messages:*", "Resource": "*"},
                {"Sid": "SessionKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arns},
            ],
        }
        iam.create_role(
            RoleName=NO_MESSAGES_ROLE,
            AssumeRolePolicyDocument=_trust("ec2.amazonaws.com"),
            Description="Registers with Systems Manager but may not open Session Manager channels",
        )
        iam.put_role_policy(RoleName=NO_MESSAGES_ROLE, PolicyName="AgentWithoutSessions",
                            PolicyDocument=json.dumps(no_messages))
        iam.create_instance_profile(InstanceProfileName=NO_MESSAGES_PROFILE)
        iam.add_role_to_instance_profile(InstanceProfileName=NO_MESSAGES_PROFILE, RoleName=NO_MESSAGES_ROLE)

        iam.create_role(RoleName=DHMC_ROLE, Path="/service-role/", AssumeRolePolicyDocument=_trust("ssm.amazonaws.com"),
                        Description="Default Host Management Configuration role")
        try:
            iam.get_policy(PolicyArn=DHMC_POLICY_ARN)
            iam.attach_role_policy(RoleName=DHMC_ROLE, PolicyArn=DHMC_POLICY_ARN)
        except iam.exceptions.NoSuchEntityException:
            iam.attach_role_policy(RoleName=DHMC_ROLE, PolicyArn=self._managed_instance_core(iam))
        decrypt = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arns}]}
        iam.put_role_policy(RoleName=DHMC_ROLE, PolicyName="SessionManagerKmsDecrypt",
                            PolicyDocument=json.dumps(decrypt))
        self.client("ssm", DHMC_REGION).update_service_setting(
            SettingId="/ssm/managed-instance/default-ec2-instance-management-role",
            SettingValue=f"service-role/{DHMC_ROLE}",
        )

    # -- per region -----------------------------------------------------------------

    def kms_key(self, region: str) -> str:
        kms = self.client("kms", region)
        key = kms.create_key(
            Description="Session Manager session encryption",
            KeySpec="SYMMETRIC_DEFAULT",
            KeyUsage="ENCRYPT_DECRYPT",
        )["KeyMetadata"]
        kms.create_alias(AliasName=KMS_ALIAS, TargetKeyId=key["KeyId"])
        return str(key["Arn"])

    def region_setup(self, region: str, kms_key_arn: str) -> None:
        ssm = self.client("ssm", region)
        if region == KMS_OFF_REGION:
            content = _preferences("")
        elif region == LOGGING_REGION:
            s3 = self.client("s3", region)
            bucket = LOG_BUCKET_PREFIX + secrets.token_hex(4)
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
            content = _preferences(kms_key_arn, s3_bucket=bucket, s3_encryption="true")
        else:
            content = _preferences(kms_key_arn)
        if region == KEY_DISABLED_REGION:
            self.client("kms", region).disable_key(KeyId=kms_key_arn.rsplit("/", 1)[-1])
        if region == KEY_POLICY_REGION:
            account = kms_key_arn.split(":")[4]
            node_only = {"Version": "2012-10-17", "Statement": [{
                "Sid": "NodesDecryptSessionData",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:role/{INSTANCE_ROLE}"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            }]}
            self.client("kms", region).put_key_policy(KeyId=kms_key_arn.rsplit("/", 1)[-1], PolicyName="default",
                                                      Policy=json.dumps(node_only))
        ssm.create_document(
            Name=PREFERENCES_DOCUMENT,
            DocumentType="Session",
            DocumentFormat="JSON",
            Content=content,
        )
        if ACTIVATION_TIER[region] != "standard":
            ssm.update_service_setting(
                SettingId="/ssm/managed-instance/activation-tier",
                SettingValue=ACTIVATION_TIER[region],
            )

    def network(self, region: str) -> tuple[str, str]:
        """A public subnet (route to an IGW, public IPs) and a security group with egress 443."""
        ec2 = self.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "sandbox-vpc"}])
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{region}a")["Subnet"][
            "SubnetId"
        ]
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        group = ec2.create_security_group(
            GroupName="sandbox-nodes", Description="Managed nodes: HTTPS out only", VpcId=vpc
        )["GroupId"]
        all_out = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=all_out)
        ec2.authorize_security_group_egress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "AWS endpoints"}],
                }
            ],
        )
        return subnet, group

    def private_subnet(self, region: str, beside: str, group: str, endpoints: tuple[str, ...] = ()) -> str:
        """A subnet in the VPC of ``beside`` whose route table has only the local route.

        With ``endpoints``, interface endpoints (private DNS) for those services are added in it, with a
        security group that admits HTTPS from the nodes' ``group``.
        """
        ec2 = self.client("ec2", region)
        vpc = ec2.describe_subnets(SubnetIds=[beside])["Subnets"][0]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone=f"{region}a")["Subnet"][
            "SubnetId"
        ]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        ec2.create_tags(Resources=[subnet, table], Tags=[{"Key": "Name", "Value": "sandbox-private"}])
        if endpoints:
            endpoint_group = ec2.create_security_group(
                GroupName="sandbox-endpoints", Description="HTTPS from managed nodes to VPC endpoints", VpcId=vpc
            )["GroupId"]
            ec2.authorize_security_group_ingress(
                GroupId=endpoint_group,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}
                ],
            )
            for service in endpoints:
                ec2.create_vpc_endpoint(
                    VpcId=vpc,
                    VpcEndpointType="Interface",
                    ServiceName=f"com.amazonaws.{region}.{service}",
                    SubnetIds=[subnet],
                    SecurityGroupIds=[endpoint_group],
                    PrivateDnsEnabled=True,
                )
        return str(subnet)

    def images(self, region: str) -> dict[str, str]:
        ec2 = self.client("ec2", region)
        found: dict[str, str] = {}
        for platform, pattern in (
            ("Linux", "amzn2-ami-hvm-*"),
            ("Windows", "Windows_Server-2016-English-Full-Base-*"),
        ):
            images = ec2.describe_images(Filters=[{"Name": "name", "Values": [pattern]}])["Images"]
            if images:
                found[platform] = images[0]["ImageId"]
            else:  # the default images are not loaded: register our own
                found[platform] = ec2.register_image(
                    Name=f"sandbox-{platform.lower()}",
                    Architecture="x86_64",
                    RootDeviceName="/dev/xvda",
                    VirtualizationType="hvm",
                )["ImageId"]
        return found

    def instance(
        self,
        region: str,
        name: str,
        image: str,
        subnet: str,
        group: str,
        profile: str | None,
        tags: dict[str, str] | None = None,
    ) -> str:
        ec2 = self.client("ec2", region)
        all_tags = [{"Key": "Name", "Value": name}]
        all_tags += [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
        kwargs: dict[str, Any] = {
            "ImageId": image,
            "MinCount": 1,
            "MaxCount": 1,
            "InstanceType": "t3.micro",
            "SubnetId": subnet,
            "SecurityGroupIds": [group],
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": all_tags}],
        }
        if profile:
            kwargs["IamInstanceProfile"] = {"Name": profile}
        reservation = ec2.run_instances(**kwargs)
        return str(reservation["Instances"][0]["InstanceId"])

    def hybrid_node(self, region: str, activation_id: str, computer_name: str, platform: str, ip: str,
                    role: str = SERVICE_ROLE) -> str:
        node_id = moto_ext.new_managed_node_id()
        windows = platform == "Windows"
        info = {
            "InstanceId": node_id,
            "PingStatus": "Online",
            "AgentVersion": moto_ext.LATEST_AGENT_VERSION,
            "IsLatestVersion": True,
            "PlatformType": platform,
            "PlatformName": "Microsoft Windows Server 2019 Datacenter" if windows else "Ubuntu",
            "PlatformVersion": "10.0.17763" if windows else "22.04",
            "ActivationId": activation_id,
            "IamRole": role,
            "RegistrationDate": _iso(self.now - dt.timedelta(days=40)),
            "ResourceType": "ManagedInstance",
            "Name": computer_name,
            "ComputerName": computer_name,
            "IPAddress": ip,
            "SourceId": node_id,
            "SourceType": "AWS::SSM::ManagedInstance",
        }
        self.client("ssm", region).put_parameter(
            Name=f"{moto_ext.MANAGED_NODES_PREFIX}{node_id}",
            Value=json.dumps(info),
            Type="String",
        )
        return node_id

    def activation(self, region: str, role: str = SERVICE_ROLE) -> str:
        ssm = self.client("ssm", region)
        created = ssm.create_activation(
            Description="On-premises servers",
            DefaultInstanceName="onprem",
            IamRole=role,
            RegistrationLimit=10,
            ExpirationDate=self.now + dt.timedelta(days=30),
        )
        return str(created["ActivationId"])


def _seed_permission_faults(
    s: _Seeder,
    targets: dict[str, str],
    account: str,
    keys: dict[str, str],
    subnet: str,
    group: str,
    image: str,
    profile: str,
) -> None:
    """Nodes for the permission scenarios (the node's identity and role, and the caller's rights on a node)."""
    s.permission_roles(list(keys.values()))
    east = "us-east-1"
    targets["start-session-prod-tag"] = s.instance(east, "billing-01", image, subnet, group, profile,
                                                   tags={"Env": "prod"})
    payroll = s.instance(east, "payroll-01", image, subnet, group, profile)
    targets["send-command-denied-node"] = payroll
    deny = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "NoCommandsOnPayroll",
            "Effect": "Deny",
            "Action": "ssm:SendCommand",
            "Resource": f"arn:aws:ec2:{east}:{account}:instance/{payroll}",
        }],
    }
    s.client("iam", east).put_user_policy(UserName="moto", PolicyName="NoCommandsOnPayroll",
                                          PolicyDocument=json.dumps(deny))
    targets["role-without-ssmmessages"] = s.instance(
        east, "reports-02", image, subnet, group, NO_MESSAGES_PROFILE, tags={"ssm-sandbox:connection": "role"}
    )
    dhmc_subnet, dhmc_group = s.network(DHMC_REGION)
    dhmc_image = s.images(DHMC_REGION)["Linux"]
    # Default Host Management registers an IMDSv2-only instance with a recent agent, without a profile.
    targets["dhmc-no-profile"] = s.instance(DHMC_REGION, "dhmc-01", dhmc_image, dhmc_subnet, dhmc_group, None,
                                            tags={"ssm-sandbox:registered": "true"})
    imdsv1 = s.instance(DHMC_REGION, "dhmc-02", dhmc_image, dhmc_subnet, dhmc_group, None)
    s.client("ec2", DHMC_REGION).modify_instance_metadata_options(InstanceId=imdsv1, HttpTokens="optional")
    targets["dhmc-imdsv1"] = imdsv1


def seed(session: boto3.Session, endpoint_url: str | None = None) -> dict[str, str]:
    """Create the demo fleet; returns scenario key -> node id.

    ``endpoint_url`` points the clients at a sandbox server (None: the session's own
    resolution, e.g. under ``mock_aws`` or with ``AWS_ENDPOINT_URL``).
    """
    s = _Seeder(session, endpoint_url)
    with moto_ext.FAULTS.suspended():
        account = str(s.client("sts", REGIONS[0]).get_caller_identity()["Account"])
        keys = {region: s.kms_key(region) for region in REGIONS}
        profile = s.iam(list(keys.values()))
        for region in REGIONS:
            s.region_setup(region, keys[region])
        subnet, group = s.network("us-east-1")
        images = s.images("us-east-1")
        linux, windows = images["Linux"], images["Windows"]

        def ec2(name: str, image: str = linux, **kwargs: Any) -> str:
            return s.instance("us-east-1", name, image, subnet, group, **kwargs)

        three_days_ago = _iso(s.now - dt.timedelta(days=3))
        targets: dict[str, str] = {
            "healthy-linux": ec2("web-01", profile=profile),
            "healthy-windows": ec2("win-01", windows, profile=profile),
            "old-agent": ec2("legacy-01", profile=profile, tags={"ssm-sandbox:agent-version": "2.3.50.0"}),
            "connection-lost": ec2(
                "batch-07",
                profile=profile,
                tags={
                    "ssm-sandbox:ping-status": "ConnectionLost",
                    "ssm-sandbox:last-ping": three_days_ago,
                    "ssm-sandbox:connection": "notconnected",
                },
            ),
            "not-registered": ec2("db-02", profile=None, tags={"ssm-sandbox:registered": "false"}),
            "stopped": ec2("report-03", profile=profile),
            "recent-failures": ec2("api-04", profile=profile),
        }
        for _ in range(2):
            ec2(AMBIGUOUS_NAME, profile=profile)
        s.client("ec2", "us-east-1").stop_instances(InstanceIds=[targets["stopped"]])
        # No route out and no endpoints: the agent could never register.
        private = s.private_subnet("us-east-1", subnet, group)
        targets["private-no-endpoints"] = s.instance(
            "us-east-1", "vault-01", linux, private, group, profile, tags={"ssm-sandbox:registered": "false"}
        )

        # One healthy node in each region whose preferences hold a region-wide fault.
        for region, key, name in (
            (KMS_OFF_REGION, "kms-off", "kmsoff-01"),
            (KEY_DISABLED_REGION, "kms-key-disabled", "keyoff-01"),
            (LOGGING_REGION, "s3-logging-unencrypted", "audit-01"),
            (KEY_POLICY_REGION, "caller-kms-key-policy", "tokyo-01"),
        ):
            region_subnet, region_group = s.network(region)
            image = s.images(region)["Linux"]
            targets[key] = s.instance(region, name, image, region_subnet, region_group, profile)

        # A private subnet that reaches Systems Manager and KMS through interface endpoints.
        public, nodes_group = s.network(PRIVATE_REGION)
        inside = s.private_subnet(
            PRIVATE_REGION, public, nodes_group, endpoints=("ssm", "ssmmessages", "ec2messages", "kms")
        )
        image = s.images(PRIVATE_REGION)["Linux"]
        targets["private-endpoints"] = s.instance(PRIVATE_REGION, "private-01", image, inside, nodes_group, profile)
        targets["role-without-decrypt"] = s.instance(
            PRIVATE_REGION, "nokms-01", image, inside, nodes_group, NO_KMS_PROFILE
        )

        _seed_permission_faults(s, targets, account, keys, subnet, group, linux, profile)

        targets["hybrid-standard"] = s.hybrid_node(
            "us-east-1", s.activation("us-east-1"), "onprem-fs01", "Linux", "192.168.10.21"
        )
        targets["hybrid-advanced"] = s.hybrid_node(
            "eu-west-1", s.activation("eu-west-1"), "onprem-dc02", "Windows", "192.168.20.5"
        )
        targets["hybrid-role-deleted"] = s.hybrid_node(
            "eu-west-1", s.activation("eu-west-1", DELETED_SERVICE_ROLE), "onprem-app03", "Linux", "192.168.20.9",
            role=DELETED_SERVICE_ROLE,
        )

        owner = f"arn:aws:sts::{account}:user/moto"
        for hours, details in (
            (3, "Fetching data key failed: Unable to retrieve data key"),
            (20, "Session worker exited unexpectedly"),
        ):
            start = s.now - dt.timedelta(hours=hours)
            moto_ext.add_session(
                account,
                "us-east-1",
                {
                    "Target": targets["recent-failures"],
                    "Status": "Failed",
                    "DocumentName": "AWS-PasswordReset",
                    "Owner": owner,
                    "StartDate": start,
                    "EndDate": start + dt.timedelta(seconds=31),
                    "Details": details,
                },
            )
    return {scenario.key: targets[scenario.key] for scenario in SCENARIOS}
