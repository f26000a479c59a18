"""Device keys over HTTPS (issue 16, docs/xencrypted.md): the user's own
client makes, lists, rotates and revokes its device keys with Python's
http.client over TLS, logging in with its password or an app password
(HTTP Basic, RFC 7617).
A proxy identity is refused (403), bad credentials get 401 and are
throttled like logins, no secret is ever listed or logged, a key made here
works for XKEY, and revoking it ends the IMAP session that uses it."""

import argparse
import base64
import http.client
import json
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
sys.path.insert(0, HERE)
import lemonade_client as lc  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402


class Api:
    def __init__(self, srv):
        self.ctx = ssl.create_default_context(cafile=srv.cert)
        self.ctx.check_hostname = False
        self.port = srv.https_port

    def call(self, method, path, user=None, password=None, body=None, raw=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        headers = {}
        if user is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        text = r.read()
        c.close()
        if r.getheader("Content-Type") != "application/json":
            return r.status, text or None, r
        return r.status, (json.loads(text) if text else None), r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob pw"},
                        options=["server.user_check_interval=200ms", "auth.failure_delay=10ms", "auth.max_failures=4"],
                        proxies=[("alice", "phone", "relay pw")]) as srv:
        api = Api(srv)
        st, body, r = api.call("GET", "/keys")
        expect((st, r.getheader("WWW-Authenticate")), (401, 'Basic realm="lemonade", charset="UTF-8"'),
               "no credentials")
        expect(api.call("GET", "/keys", "alice", "wrong")[0], 401, "a wrong password")
        expect(api.call("GET", "/keys", "alice+phone", "relay pw")[:2],
               (403, {"error": "A proxy identity cannot manage device keys"}), "a proxy identity")
        expect(api.call("GET", "/keys", "alice", "alice pw")[:2], (200, {"keys": []}), "no keys yet")

        st, made, r = api.call("POST", "/keys", "alice", "alice pw", {"device": "phone"})
        expect((st, sorted(made), made["device"], r.getheader("Cache-Control")),
               (201, ["created", "device", "id", "secret"], "phone", "no-store"), "a key made")
        key_id, secret = made["id"], base64.b64decode(made["secret"])
        expect(len(secret), 32, "a 256-bit key")
        st, listed, _ = api.call("GET", "/keys", "alice", "alice pw")
        expect(listed, {"keys": [{"id": key_id, "device": "phone", "created": made["created"], "revoked": None}]},
               "listed, without its secret")
        expect(api.call("GET", "/keys", "bob", "bob pw")[:2], (200, {"keys": []}), "bob sees none of alice's")
        expect(api.call("DELETE", "/keys/" + key_id, "bob", "bob pw")[0], 404, "bob cannot revoke alice's key")
        expect(api.call("POST", "/keys", "alice", "alice pw", raw=b"{not json")[0], 400, "a bad body")
        expect(api.call("POST", "/keys", "alice", "alice pw", {"device": "bad name"})[0], 400, "a bad device name")
        expect(api.call("POST", "/keys", "alice", "alice pw", raw=b"x" * 20000)[0], 413, "a body over the limit")
        st, _, r = api.call("PUT", "/keys", "alice", "alice pw", {"device": "x"})
        expect((st, r.getheader("Allow")), (405, "GET, POST"), "another method")
        expect(api.call("GET", "/other", "alice", "alice pw")[0], 404, "another path")
        expect(api.call("DELETE", "/keys/zz", "alice", "alice pw")[0], 404, "a malformed id")

        # The key works for XKEY through the proxy; revoking it over HTTPS
        # ends that session.
        conn = lc.Connection("127.0.0.1", srv.imap_port)
        conn.login("alice+phone", "relay pw")
        x = lc.Xenc(conn, "alice", key_id, secret)
        x.start()
        st, rotated, _ = api.call("POST", "/keys/%s/rotate" % key_id, "alice", "alice pw")
        expect((st, rotated["device"], rotated["id"] != key_id), (201, "phone", True), "rotated")
        expect(conn.ended(), True, "the session of the rotated key ended")
        expect(api.call("DELETE", "/keys/" + rotated["id"], "alice", "alice pw")[0], 204, "revoked")
        expect(api.call("DELETE", "/keys/" + rotated["id"], "alice", "alice pw")[0], 404, "revoked already")
        st, listed, _ = api.call("GET", "/keys", "alice", "alice pw")
        expect([k["revoked"] is not None for k in listed["keys"]], [True, True], "both revoked")
        log = srv.log()
        expect(made["secret"] in log or rotated["secret"] in log, False, "no secret in the log")
        # An app password: the key API takes it in place of the account's
        # password; it is the user's alone, and gone once removed.
        code, out = srv.key("app-password", "add", "alice", "laptop")
        words = out.split()
        expect((code, words[:2]), (0, ["app-password", "laptop"]), "`lemonade key app-password add`: " + out)
        app = words[2]
        expect(api.call("GET", "/keys", "alice", app)[0], 200, "the app password logs in")
        expect(api.call("GET", "/keys", "alice", app.lower().replace("-", ""))[0], 200, "typed leniently")
        expect(api.call("GET", "/keys", "bob", app)[0], 401, "not as another user")
        expect(srv.key("app-password", "add", "alice", "laptop")[0], 2, "the same label twice")
        code, out = srv.key("app-password", "list", "alice")
        expect((code, out.split()[:2]), (0, ["laptop", "created"]), "listed: " + out)
        expect(app in srv.log() or app in out, False, "the app password is not in the log or the listing")
        expect(srv.key("app-password", "del", "alice", "laptop")[0], 0, "removed")
        expect(api.call("GET", "/keys", "alice", app)[0], 401, "no longer")
        # Failures are throttled like logins: after auth.max_failures, 429.
        codes = [api.call("GET", "/keys", "alice", "wrong")[0] for _ in range(6)]
        expect(codes[-1], 429, "locked out after repeated failures: %s" % codes)
    print("ok")


if __name__ == "__main__":
    main()
