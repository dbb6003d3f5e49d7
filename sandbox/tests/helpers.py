"""Test helpers: tokens, an authenticated session, and secureContent encryption done the C# sample's way."""
from __future__ import annotations

import base64
import datetime as dt
import json
import os

import requests
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TODAY = dt.date(2026, 11, 25)     # fixed, so generated data is the same on every run
DATA = os.path.join(os.path.dirname(__file__), "data")


def weblink_token(srv, company_id="C1001") -> str:
    creds = srv.credentials(company_id)
    resp = requests.post(srv.urls()["weblink_token"], data={"grant_type": "client_credentials",
                                                            "scope": "WebLinkAPI"},
                         auth=(creds.weblink_client_id, creds.weblink_client_secret), timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def nextgen_token(srv, company_id="C1001") -> str:
    creds = srv.credentials(company_id)
    resp = requests.post(srv.urls()["nextgen_token"], data={"grant_type": "client_credentials",
                                                            "client_id": creds.nextgen_client_id,
                                                            "client_secret": creds.nextgen_client_secret},
                         timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


class Api:
    """A requests session bound to one sandbox base URL and one bearer token."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **kw):
        kw.setdefault("timeout", 5)
        return self.session.get(self.base + path, **kw)

    def patch(self, path, **kw):
        kw.setdefault("timeout", 5)
        return self.session.patch(self.base + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", 5)
        return self.session.post(self.base + path, **kw)


def encrypt(payload, public_key_pem: str) -> dict:
    """secureContent as Paylocity's C# sample builds it: AES-256-CBC/PKCS7, AES key RSA PKCS#1 v1.5, base64."""
    public_key = serialization.load_pem_public_key(public_key_pem.encode(), backend=default_backend())
    key, iv = os.urandom(32), os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(json.dumps(payload).encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv), backend=default_backend()).encryptor()
    content = encryptor.update(padded) + encryptor.finalize()
    return {"secureContent": {"key": base64.b64encode(public_key.encrypt(key, asym_padding.PKCS1v15())).decode(),
                              "iv": base64.b64encode(iv).decode(), "content": base64.b64encode(content).decode()}}
