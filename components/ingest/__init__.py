"""A tenant's webhook ingest: the Lambda handler (`handler`, stdlib + boto3, zipped alone) and the
Pulumi component that deploys it behind API Gateway (`endpoint.IngestEndpoint`)."""
