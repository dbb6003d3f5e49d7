"""``python -m sandbox --port 8090 --employees 500 --seed 1``: serve a sandbox until interrupted."""
from __future__ import annotations

import argparse
import logging
import sys

from .server import SandboxServer


def _limit(text: str):
    return None if text.lower() in ("none", "off", "0") else int(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--employees", type=int, default=50, help="employees per company")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--companies", default="C1001", help="comma-separated company ids")
    parser.add_argument("--rate-limit", type=_limit, default=25, help="WebLink calls/s per credential; none = off")
    parser.add_argument("--nextgen-rate-limit", type=_limit, default=None)
    parser.add_argument("--token-ttl", type=float, default=3600)
    parser.add_argument("--history-runs", type=int, default=3, help="regular pay runs generated at start")
    parser.add_argument("--key-file", help="PEM private key to load (created if missing), so the public key "
                                           "stays the same across restarts")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)

    key_pem = None
    if args.key_file:
        key_pem = _load_or_create_key(args.key_file)
    seed = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    srv = SandboxServer(seed=seed, employees=args.employees, companies=args.companies,
                        weblink_rate_limit=args.rate_limit, nextgen_rate_limit=args.nextgen_rate_limit,
                        token_ttl=args.token_ttl, host=args.host, port=args.port, history_runs=args.history_runs,
                        private_key_pem=key_pem)
    srv.start()
    print(describe(srv), flush=True)
    srv.serve_forever()
    return 0


def describe(srv: SandboxServer) -> str:
    urls = srv.urls()
    lines = ["Paylocity sandbox serving (Ctrl+C to stop)",
             f"  WebLink base:    {urls['weblink_base']}", f"  WebLink token:   {urls['weblink_token']}",
             f"  NextGen base:    {urls['nextgen_base']}", f"  NextGen token:   {urls['nextgen_token']}",
             f"  Control:         {srv.base_url}/_sandbox/info",
             f"  WebLink rate limit: {srv.weblink_rate_limit} calls/s; token TTL {srv.token_ttl:g} s"]
    for cid in srv.company_ids:
        c = srv.credentials(cid)
        company = srv.company(cid)
        lines += [f"Company {cid} ({company.name}, {len(company.employees)} employees, "
                  f"{len(company.pay_runs)} pay runs)",
                  f"  WebLink client id/secret: {c.weblink_client_id} {c.weblink_client_secret}",
                  f"  NextGen client id/secret: {c.nextgen_client_id} {c.nextgen_client_secret}",
                  f"  WebLink secret renewal code: {c.weblink_secret_code}"]
    lines += ["Public key (PEM, for secureContent):", srv.public_key_pem.strip()]
    return "\n".join(lines)


def _load_or_create_key(path: str) -> str:
    from .crypto import private_key_pem, shared_private_key
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read()
    except FileNotFoundError:
        pem = private_key_pem(shared_private_key())
        with open(path, "w", encoding="ascii") as fh:
            fh.write(pem)
        return pem


if __name__ == "__main__":
    sys.exit(main())
