#!/usr/bin/env python3
"""Posts images to a local web sample from several threads at once and counts the answers.

usage: upload_client.py BASE_URL REQUESTS CONCURRENCY PATH IMAGE...
Only 127.0.0.1 is a target. Prints one line: requests, 2xx, 4xx, 5xx, errors, seconds; exits 1 on any 5xx or error.
"""
import http.client
import sys
import threading
import time
import urllib.parse


def main(base, total, concurrency, path, images):
    url = urllib.parse.urlparse(base)
    if url.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("only a loopback address is a target")
    bodies = [open(p, "rb").read() for p in images]
    counts = {"2xx": 0, "4xx": 0, "5xx": 0, "errors": 0}
    lock = threading.Lock()
    next_index = [0]

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                if i >= total:
                    break
                next_index[0] += 1
            try:
                conn.request("POST", path, body=bodies[i % len(bodies)], headers={"Content-Type": "application/octet-stream"})
                response = conn.getresponse()
                response.read()
                key = f"{response.status // 100}xx"
            except (OSError, http.client.HTTPException):
                key = "errors"
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            with lock:
                counts[key] = counts.get(key, 0) + 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    print(f"requests {total}: 2xx {counts['2xx']}, 4xx {counts['4xx']}, 5xx {counts['5xx']}, errors {counts['errors']}, {seconds:.1f} s ({total / seconds:.0f}/s)")
    return 1 if counts["5xx"] or counts["errors"] else 0


if __name__ == "__main__":
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]))
