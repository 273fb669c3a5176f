"""Interoperability: the HTTP playground seen by Python's urllib (standard library) and by
httpie (PyPI), two clients this project did not write.

Usage: python3 playground_interop.py http://127.0.0.1:PORT

urllib follows redirects, keeps cookies in a CookieJar, answers a Basic challenge with a
password manager, and leaves content codings and ranges to its caller. httpie decodes
gzip and deflate itself, prints the head it received, and reads a stream line by line.
Any mismatch raises.
"""

import gzip
import http.cookiejar
import json
import subprocess
import sys
import urllib.error
import urllib.request
import zlib

base = sys.argv[1].rstrip("/")
play = f"{base}/api/http"


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


def fetch(url, opener=None, **kwargs):
    request = urllib.request.Request(url, **kwargs)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- urllib -------------------------------------------------------------------------
status, headers, body = fetch(
    f"{play}/anything/deep/path?a=1&a=2&b=x%20y",
    data=b'{"day": 2}',
    method="PUT",
    headers={"Content-Type": "application/json", "X-Sent-By": "urllib"},
)
reflection = json.loads(body)
check("urllib: status", status, 200)
check("urllib: method", reflection["method"], "PUT")
check("urllib: args", reflection["args"], {"a": ["1", "2"], "b": "x y"})
check("urllib: a header it set", reflection["headers"]["x-sent-by"], "urllib")
check("urllib: its own User-Agent", reflection["headers"]["user-agent"].startswith("Python-urllib/"), True)
check("urllib: json", reflection["json"], {"day": 2})
check("urllib: version header", headers["x-http-version"], "HTTP/1.1")

status, _, body = fetch(
    f"{play}/post",
    data=b"day=2&weekday=Friday",
    headers={"Content-Type": "application/x-www-form-urlencoded"},
)
check("urllib: form", json.loads(body)["form"], {"day": "2", "weekday": "Friday"})

# urllib follows the chain of five redirects to /get.
status, _, body = fetch(f"{play}/redirect/5")
check("urllib: redirects followed", (status, json.loads(body)["url"].endswith("/api/http/get")), (200, True))
status, _, body = fetch(f"{play}/redirect-to?url=https://example.com/")
check("urllib: no open redirect", status, 400)
check("urllib: it says why", "path on this server" in json.loads(body)["detail"], True)

status, _, body = fetch(f"{play}/status/418")
check("urllib: status on demand", (status, json.loads(body)["reason"]), (418, "I'm a teapot"))
status, _, _ = fetch(f"{play}/status/600")
check("urllib: an absurd status is refused", status, 400)

jar = http.cookiejar.CookieJar()
with_cookies = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
status, _, body = fetch(f"{play}/cookies/set?flavour=oat&size=large", opener=with_cookies)
check("urllib: cookies set, then shown", json.loads(body)["cookies"], {"flavour": "oat", "size": "large"})
status, _, body = fetch(f"{play}/cookies/delete?size", opener=with_cookies)
check("urllib: a cookie deleted", json.loads(body)["cookies"], {"flavour": "oat"})

passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
passwords.add_password(None, base, "ada", "lovelace")
with_password = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
status, _, body = fetch(f"{play}/basic-auth/ada/lovelace", opener=with_password)
check("urllib: answers the Basic challenge", (status, json.loads(body)["user"]), (200, "ada"))
status, headers, _ = fetch(f"{play}/basic-auth/ada/other", opener=with_password)
check("urllib: wrong password", (status, headers["www-authenticate"].startswith("Basic ")), (401, True))

status, headers, body = fetch(f"{play}/gzip", headers={"Accept-Encoding": "gzip"})
check("urllib: gzip", (headers["content-encoding"], json.loads(gzip.decompress(body))["gzipped"]), ("gzip", True))
status, headers, body = fetch(f"{play}/deflate", headers={"Accept-Encoding": "deflate"})
check("urllib: deflate is zlib", json.loads(zlib.decompress(body))["deflated"], True)
status, _, body = fetch(f"{play}/gzip", headers={"Accept-Encoding": "identity"})
check("urllib: gzip refused to a client without it", (status, "Accept-Encoding: gzip" in json.loads(body)["detail"]), (406, True))

status, headers, body = fetch(f"{play}/range/26", headers={"Range": "bytes=-4"})
check("urllib: a suffix range", (status, headers["content-range"], body), (206, "bytes 22-25/26", b"wxyz"))
status, headers, _ = fetch(f"{play}/range/26", headers={"Range": "bytes=26-"})
check("urllib: past the end", (status, headers["content-range"]), (416, "bytes */26"))

status, headers, body = fetch(f"{play}/drip?duration=0.3&numbytes=6")
check("urllib: drip", (status, headers["content-length"], body), (200, "6", b"******"))

status, headers, _ = fetch(f"{play}/cache")
status, _, _ = fetch(f"{play}/cache", headers={"If-None-Match": headers["etag"]})
check("urllib: a conditional GET", status, 304)

status, headers, body = fetch(f"{play}/response-headers?X-Greeting=hello&Content-Type=text/plain")
check("urllib: chosen headers", (headers["x-greeting"], headers["content-type"]), ("hello", "text/plain"))

# --- httpie -------------------------------------------------------------------------
def httpie(*args):
    done = subprocess.run(
        [sys.executable, "-m", "httpie", "--ignore-stdin", "--pretty=none", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode, done.stdout, done.stderr


code, out, err = httpie("--print=b", "POST", f"{play}/anything", "day:=2", "weekday=Friday", "X-Sent-By:httpie")
reflection = json.loads(out)
check("httpie: json body from its item syntax", reflection["json"], {"day": 2, "weekday": "Friday"})
check("httpie: header", reflection["headers"]["x-sent-by"], "httpie")
check("httpie: its User-Agent", reflection["headers"]["user-agent"].startswith("HTTPie/"), True)

code, out, err = httpie("--print=b", "--form", "POST", f"{play}/post", "day=2", f"notes@{__file__}")
reflection = json.loads(out)
check("httpie: a multipart form", reflection["form"], {"day": "2"})
check("httpie: a file in it", "httpie" in reflection["files"]["notes"], True)

code, out, err = httpie("--print=hb", f"{play}/gzip")
head, _, body = out.replace("\r\n", "\n").partition("\n\n")
check("httpie: decodes gzip itself", ("content-encoding: gzip" in head.lower(), json.loads(body)["gzipped"]), (True, True))

code, out, err = httpie("--print=b", "-a", "ada:lovelace", f"{play}/basic-auth/ada/lovelace")
check("httpie: basic auth", json.loads(out), {"authenticated": True, "user": "ada"})
code, out, err = httpie("--print=b", "-A", "bearer", "-a", "t0ken", f"{play}/bearer")
check("httpie: bearer auth", json.loads(out), {"authenticated": True, "token": "t0ken"})

code, out, err = httpie("--print=h", "--check-status", f"{play}/status/503")
check("httpie: --check-status on a 5xx", (code, "503 Service Unavailable" in out), (5, True))

code, out, err = httpie("--print=b", "--stream", f"{play}/stream/3")
lines = [json.loads(line) for line in out.splitlines() if line.strip()]
check("httpie: a stream line by line", [line["id"] for line in lines], [0, 1, 2])

code, out, err = httpie("--print=b", "--follow", f"{play}/redirect/3")
check("httpie: follows redirects", json.loads(out)["url"].endswith("/api/http/get"), True)

print("all interoperability checks passed")
