def test_s3_round_trip_over_http(aws_endpoint, s3_client, bucket):
    assert aws_endpoint.startswith("http://127.0.0.1:")
    s3_client.put_object(Bucket=bucket, Key="landing/orders/2026/11/20/a.jsonl", Body=b"{}\n")
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="landing/")
    assert [o["Key"] for o in listed["Contents"]] == ["landing/orders/2026/11/20/a.jsonl"]
