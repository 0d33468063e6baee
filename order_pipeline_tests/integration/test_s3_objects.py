"""Object I/O helpers against the local S3 endpoint (moto over HTTP): a small object of known size is fetched with
one GET, anything else through boto3's transfer manager; the bytes are the same either way."""

from order_pipeline.aws.s3_objects import SINGLE_GET_BYTES, download
from order_pipeline_tests.support.s3_requests import counting_s3_client


def test_a_small_object_of_known_size_is_one_get(s3_client, bucket, tmp_path):
    body = bytes(range(256)) * 4099  # ~1 MiB, crossing the copy buffer
    s3_client.put_object(Bucket=bucket, Key="landing/a b+ü.jsonl", Body=body)
    client, calls = counting_s3_client()
    download(client, f"s3://{bucket}/landing/a b+ü.jsonl", tmp_path / "small", size=len(body))
    assert (tmp_path / "small").read_bytes() == body
    assert calls == {"GetObject": 1}


def test_a_large_or_unsized_object_goes_through_the_transfer_manager(s3_client, bucket, tmp_path):
    body = b"x" * (SINGLE_GET_BYTES + 10)
    s3_client.put_object(Bucket=bucket, Key="landing/big.jsonl", Body=body)
    for size in (len(body), None):
        client, calls = counting_s3_client()
        download(client, f"s3://{bucket}/landing/big.jsonl", tmp_path / "big", size=size)
        assert (tmp_path / "big").read_bytes() == body
        assert calls["HeadObject"] == 1 and calls["GetObject"] >= 1
