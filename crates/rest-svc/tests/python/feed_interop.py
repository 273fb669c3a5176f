"""Interoperability: Python's `feedparser` (PyPI) reads rest-svc's Atom feed.

Usage: python3 feed_interop.py http://127.0.0.1:PORT

feedparser must find the feed well-formed (`bozo` false), read it as Atom 1.0, see the
newest change first with its link, and honour the conditional GET: given the ETag and
Last-Modified of its last read, it gets 304 and no entries. Any mismatch raises.
"""

import json
import sys
import urllib.request

import feedparser

base = sys.argv[1].rstrip("/")
feed_url = f"{base}/api/feeds/dummies.atom"


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


def create(day):
    body = json.dumps({"day": day, "weekday": "Friday", "month": "July", "year": 1999}).encode()
    request = urllib.request.Request(
        f"{base}/api/rest/dummie", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


first = create(1)
second = create(2)
feed = feedparser.parse(feed_url)
check("well-formed", feed.bozo, False)
check("version", feed.version, "atom10")
check("status", feed.status, 200)
check("title", feed.feed.title, "Dummy changes")
check("entries", len(feed.entries), 2)
newest = feed.entries[0]
check("newest first", newest.title, f"Dummy {second['id']} created")
check("entry link", newest.link, f"{base}/api/rest/dummie/{second['id']}")
check("entry content", json.loads(newest.content[0].value), second)

again = feedparser.parse(feed_url, etag=feed.etag, modified=feed.modified)
check("conditional GET", again.status, 304)
check("no entries on 304", len(again.entries), 0)

print("all interoperability checks passed")
