"""A local AWS endpoint that enforces IAM: moto's server with INITIAL_NO_AUTH_ACTION_COUNT set, so that after
the first N (admin bootstrap) requests every request must be signed by an IAM user's keys and be allowed by that
user's policies.

moto's policy evaluation has three gaps where it answers differently from AWS for requests the pipeline makes;
this launcher closes them before starting the server, so that a least-privilege policy is judged as AWS would:
- SNS requests are checked against resource "*": no statement naming a topic ARN matches, so Publish would be
  denied under any topic-scoped policy. Here they are checked against the request's TopicArn.
- SQS GetQueueUrl is checked against "*" (the queue is named by QueueName, not QueueUrl): checked against the
  queue's ARN here.
- SQS batch requests are checked as their own actions (`sqs:DeleteMessageBatch`), which IAM does not have: AWS
  authorises DeleteMessageBatch, SendMessageBatch and ChangeMessageVisibilityBatch as the single-message action.
- CloudWatch requests are signed for the service "monitoring", and moto names their action after it
  (`monitoring:PutMetricData`); IAM's action is `cloudwatch:PutMetricData`. Named so here.
- moto evaluates no condition of an identity policy (it passes no request values to them), so a namespace-scoped
  `cloudwatch:PutMetricData` would allow any namespace. Here PutMetricData's `cloudwatch:namespace` is passed, and
  StringEquals on it is evaluated as AWS does.
Conditions other than StringEquals (e.g. StringLike on s3:prefix) are not evaluated by moto at all.

Run as `python -m order_pipeline_tests.support.iam_endpoint HOST PORT` with INITIAL_NO_AUTH_ACTION_COUNT set.
"""

from __future__ import annotations

import sys
import threading

BATCH_ACTIONS = {
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


def patch_moto() -> None:
    from moto.iam.access_control import IAMRequestBase
    from moto.sns.responses import SNSResponse
    from moto.sqs.exceptions import QueueDoesNotExist
    from moto.sqs.responses import SQSResponse

    def sns_resource(self: SNSResponse) -> str:
        return self._get_param("TopicArn") or "*"

    original_sqs_resource = SQSResponse._determine_resource

    def sqs_resource(self: SQSResponse) -> str:
        name = self._get_param("QueueName") if self._get_action() == "GetQueueUrl" else None
        if not name:
            return original_sqs_resource(self)
        try:
            return self.sqs_backend.get_queue(name).queue_arn
        except QueueDoesNotExist:
            return "*"

    original_init = IAMRequestBase.__init__

    def init(self: IAMRequestBase, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        self._action = BATCH_ACTIONS.get(self._action, self._action)
        if self._action.startswith("monitoring:"):
            self._action = "cloudwatch:" + self._action.removeprefix("monitoring:")

    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.iam.access_control import IAMPolicy

    request_conditions = threading.local()  # the condition values of the request being authorised
    original_authorize = CloudWatchResponse._authenticate_and_authorize_normal_action

    def authorize_cloudwatch(self: CloudWatchResponse, resource: str = "*") -> None:
        namespace = self._get_param("Namespace") if self._get_action() == "PutMetricData" else None
        request_conditions.values = {"cloudwatch:namespace": namespace} if namespace else None
        try:
            original_authorize(self, resource)
        finally:
            request_conditions.values = None

    original_permitted = IAMPolicy.is_action_permitted

    def permitted(
        self: IAMPolicy,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> object:
        if incoming_condition_values is None:
            incoming_condition_values = getattr(request_conditions, "values", None)
        return original_permitted(self, action, resource, principal, incoming_condition_values)

    CloudWatchResponse._authenticate_and_authorize_normal_action = authorize_cloudwatch
    IAMPolicy.is_action_permitted = permitted
    SNSResponse._determine_resource = sns_resource
    SQSResponse._determine_resource = sqs_resource
    IAMRequestBase.__init__ = init


def main(host: str, port: str) -> None:
    patch_moto()
    from moto.server import main as moto_main

    moto_main(["-H", host, "-p", port])


if __name__ == "__main__":
    main(*sys.argv[1:3])
