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
Conditions other than StringEquals (e.g. StringLike on s3:prefix) are not evaluated by moto at all.

Run as `python -m order_pipeline_tests.support.iam_endpoint HOST PORT` with INITIAL_NO_AUTH_ACTION_COUNT set.
"""

from __future__ import annotations

import sys

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

    SNSResponse._determine_resource = sns_resource
    SQSResponse._determine_resource = sqs_resource
    IAMRequestBase.__init__ = init


def main(host: str, port: str) -> None:
    patch_moto()
    from moto.server import main as moto_main

    moto_main(["-H", host, "-p", port])


if __name__ == "__main__":
    main(*sys.argv[1:3])
