"""A resource's boto3 client is built once per configuration and process (issue 24: a headless drain of five
partitions built 41, 40-130 ms each), and a new one when the configuration or the AWS_* environment changes."""

from __future__ import annotations

from order_pipeline.components.resources import S3ClientResource, SNSResource, SQSResource
from order_pipeline_tests.support.env import patched_environ

LOCAL = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}


def test_the_same_configuration_gets_the_same_client_across_resource_objects():
    with patched_environ(LOCAL):
        first = S3ClientResource(region_name="eu-west-1", max_attempts=5).get_client()
        again = S3ClientResource(region_name="eu-west-1", max_attempts=5).get_client()
        queue = SQSResource(region_name="eu-west-1", max_attempts=5).get_client()
        topic = SNSResource(region_name="eu-west-1", max_attempts=5).get_client()

    assert again is first
    assert queue is not first and topic is not first and queue is not topic  # one per service
    assert queue.meta.service_model.service_name == "sqs"


def test_another_region_endpoint_or_credential_gets_a_new_client():
    with patched_environ(LOCAL):
        first = S3ClientResource(region_name="eu-west-1", max_attempts=5).get_client()
        other_region = S3ClientResource(region_name="us-east-1", max_attempts=5).get_client()
    with patched_environ({**LOCAL, "AWS_ENDPOINT_URL": "http://127.0.0.1:2"}):
        other_endpoint = S3ClientResource(region_name="eu-west-1", max_attempts=5).get_client()
    with patched_environ({**LOCAL, "AWS_ACCESS_KEY_ID": "someone-else"}):
        other_identity = S3ClientResource(region_name="eu-west-1", max_attempts=5).get_client()

    assert other_region is not first and other_region.meta.region_name == "us-east-1"
    assert other_endpoint is not first and other_endpoint.meta.endpoint_url == "http://127.0.0.1:2"
    assert other_identity is not first
    assert other_identity._request_signer._credentials.access_key == "someone-else"
