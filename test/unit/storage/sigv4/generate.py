#!/usr/bin/env python3
"""Write the SigV4 test cases of this directory and their expected values.

Each case NAME gets NAME.req (the request, in the format of AWS's
"Signature Version 4 test suite": request line, headers, blank line, body)
and, computed by botocore (an independent signer, not walship's code),
NAME.creq (canonical request), NAME.sts (string to sign) and NAME.authz
(Authorization header value). Run it from anywhere:

    python3 test/unit/storage/sigv4/generate.py

Needs botocore (Debian: apt-get install python3-botocore). See README.
"""
import hashlib
import os
import sys
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "service"
DATE = "20150830T123600Z"
HOST = "Host:example.amazonaws.com"
XDATE = "X-Amz-Date:" + DATE
TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWs"
         "KWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeeh"
         "M4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q"
         "6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypN"
         "C9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==")
UNRESERVED = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FORM = "Content-Type:application/x-www-form-urlencoded; charset=utf-8"

# name: (request line target, method, header lines, body)
CASES = {
    "get-vanilla": ("GET", "/", [HOST, XDATE], None),
    "get-vanilla-empty-query-key": ("GET", "/?Param1=value1", [HOST, XDATE], None),
    "get-vanilla-query-order-key": ("GET", "/?Param1=value2&Param1=Value1", [HOST, XDATE], None),
    "get-vanilla-query-order-key-case": ("GET", "/?Param2=value2&Param1=value1", [HOST, XDATE], None),
    "get-vanilla-query-order-value": ("GET", "/?Param1=value2&Param1=value1", [HOST, XDATE], None),
    "get-vanilla-query-unreserved": ("GET", "/?" + UNRESERVED + "=" + UNRESERVED, [HOST, XDATE], None),
    "get-vanilla-utf8-query": ("GET", "/?\u1234=bar", [HOST, XDATE], None),
    "get-unreserved": ("GET", "/" + UNRESERVED, [HOST, XDATE], None),
    "get-utf8": ("GET", "/\u1234", [HOST, XDATE], None),
    "get-space": ("GET", "/example space/", [HOST, XDATE], None),
    "get-header-key-duplicate": ("GET", "/", [HOST, "My-Header1:value2", "My-Header1:value2",
                                              "My-Header1:value1", XDATE], None),
    "get-header-value-order": ("GET", "/", [HOST, "My-Header1:value4", "My-Header1:value1",
                                            "My-Header1:value3", "My-Header1:value2", XDATE], None),
    "get-header-value-trim": ("GET", "/", [HOST, "My-Header1: value1",
                                           'My-Header2: "a   b   c"', XDATE], None),
    "post-vanilla": ("POST", "/", [HOST, XDATE], None),
    "post-vanilla-query": ("POST", "/?Param1=value1", [HOST, XDATE], None),
    "post-vanilla-empty-query-value": ("POST", "/?Param1=value1", [HOST, XDATE], None),
    "post-header-key-case": ("POST", "/", [HOST, XDATE], None),
    "post-header-key-sort": ("POST", "/", [HOST, "My-Header1:value1", XDATE], None),
    "post-header-value-case": ("POST", "/", [HOST, "My-Header1:VALUE1", XDATE], None),
    "post-x-www-form-urlencoded": ("POST", "/", [FORM, HOST, XDATE], None),
    "post-x-www-form-urlencoded-parameters": ("POST", "/", [FORM, HOST, XDATE], "Param1=value1"),
    "post-sts-header-before": ("POST", "/", [HOST, XDATE, "X-Amz-Security-Token:" + TOKEN], None),
}


def write(path, text):
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))


def sign(method, target, headers, body):
    path, _, query = target.partition("?")
    params = []
    if query:
        for pair in query.split("&"):
            k, _, v = pair.partition("=")
            params.append((unquote(k), unquote(v)))
    req = AWSRequest(method=method, url="https://example.amazonaws.com" + path,
                     data=body.encode() if body is not None else b"")
    req.params = params
    for line in headers:
        name, _, value = line.partition(":")
        req.headers[name] = value   # HTTPHeaders appends: repeats are kept
    req.context["timestamp"] = DATE
    auth = SigV4Auth(Credentials(KEY, SECRET), SERVICE, REGION)
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    sig = auth.signature(sts, req)
    authz = "AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s" % (
        auth.scope(req), auth.signed_headers(auth.headers_to_sign(req)), sig)
    return creq, sts, authz


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, (method, target, headers, body) in sorted(CASES.items()):
        req = "%s %s HTTP/1.1\n%s" % (method, target, "\n".join(headers))
        if body is not None:
            req += "\n\n" + body
        creq, sts, authz = sign(method, target, headers, body)
        # the payload hash botocore used is the one the C test computes
        want = hashlib.sha256((body or "").encode()).hexdigest()
        if not creq.endswith(want):
            sys.exit("%s: unexpected payload hash" % name)
        base = os.path.join(here, name)
        write(base + ".req", req)
        write(base + ".creq", creq)
        write(base + ".sts", sts)
        write(base + ".authz", authz)
    print("wrote %d cases" % len(CASES))


if __name__ == "__main__":
    main()
