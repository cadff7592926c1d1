#!/usr/bin/python3
"""Writes the API Gateway (REST API, proxy integration) events that FraudHandlerTest invokes the Lambda handler
with: the event shape API Gateway sends, with bodies made from the fraud fixture's committed inputs
(fixtures/onnx/fraud_input.npy). Run from the repository root: /usr/bin/python3 examples/src/test/resources/lambda/generate.py
"""
import base64
import json
import numpy as np

OUT = 'examples/src/test/resources/lambda/'
HOST = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com'
TRACE = 'Root=1-67d2a7f3-5c1e2b7a1f0d3e4c5b6a7980'
HEADERS = {
    'Accept': 'application/json', 'Content-Type': 'application/json', 'Host': HOST, 'User-Agent': 'curl/8.5.0',
    'X-Amzn-Trace-Id': TRACE, 'X-Forwarded-For': '203.0.113.17', 'X-Forwarded-Port': '443', 'X-Forwarded-Proto': 'https',
}


def event(body, b64=False):
    return {
        'resource': '/fraud', 'path': '/fraud', 'httpMethod': 'POST',
        'headers': HEADERS, 'multiValueHeaders': {k: [v] for k, v in HEADERS.items()},
        'queryStringParameters': None, 'multiValueQueryStringParameters': None, 'pathParameters': None,
        'stageVariables': None,
        'requestContext': {
            'resourceId': '2gxmpl', 'resourcePath': '/fraud', 'httpMethod': 'POST',
            'extendedRequestId': 'JJbxmplHYosFVYQ=', 'requestTime': '04/Dec/2026:08:30:12 +0000',
            'path': '/prod/fraud', 'accountId': '123456789012', 'protocol': 'HTTP/1.1', 'stage': 'prod',
            'domainPrefix': 'a1b2c3d4e5', 'requestTimeEpoch': 1796373012345,
            'requestId': 'e5b7c3a1-6f2d-4f1a-9b8e-0c1d2e3f4a5b',
            'identity': {
                'cognitoIdentityPoolId': None, 'accountId': None, 'cognitoIdentityId': None, 'caller': None,
                'sourceIp': '203.0.113.17', 'principalOrgId': None, 'accessKey': None,
                'cognitoAuthenticationType': None, 'cognitoAuthenticationProvider': None, 'userArn': None,
                'userAgent': 'curl/8.5.0', 'user': None,
            },
            'domainName': HOST, 'apiId': 'a1b2c3d4e5',
        },
        'body': body, 'isBase64Encoded': b64,
    }


def write(name, ev):
    with open(OUT + name, 'w') as f:
        json.dump(ev, f, indent=2)


x = np.load('fixtures/onnx/fraud_input.npy')
row = [float(v) for v in x[0]]
write('apigw-one-transaction.json', event(json.dumps({'features': row})))
batch = json.dumps({'features': [[float(v) for v in r] for r in x[:3]]})
write('apigw-three-transactions-base64.json', event(base64.b64encode(batch.encode()).decode(), True))
write('apigw-bad-body.json', event('{"features": [0.1, 0.2, 0.3'))
write('apigw-wrong-length.json', event(json.dumps({'features': row[:31]})))
