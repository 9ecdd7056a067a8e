"""A Python test suite using Berth as a fixture, standard library only (README "Berth inside test suites").

Run: python3 -m unittest discover -s examples/python -v
`berth up --ephemeral` starts a throwaway Berth and prints one JSON line once it is ready; closing its stdin (or this
process ending in any way) makes it remove everything it made. BERTH_COMMAND overrides the command (default: berth).
The suite deploys app/ (a Node.js web server with no dependencies) through the Build API, as `heroku builds:create`
does, and calls it through Berth's router.
"""
import http.client
import io
import json
import os
import shlex
import subprocess
import tarfile
import time
import unittest
import urllib.request

APP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app")
APP = "python-example"
berth = {}
proc = None


def setUpModule():
    global proc
    command = shlex.split(os.environ.get("BERTH_COMMAND", "berth"))
    proc = subprocess.Popen(command + ["up", "--ephemeral"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    berth.update(json.loads(proc.stdout.readline()))


def tearDownModule():
    proc.stdin.close()  # Berth removes everything and exits
    assert proc.wait(timeout=120) == 0
    assert not os.path.exists(berth["data_dir"]), berth["data_dir"]


def api(method, path, body=None, raw=None):
    headers = {"Authorization": "Bearer " + berth["api_key"], "Accept": "application/vnd.heroku+json; version=3"}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(berth["api_url"] + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


def source_tarball(directory):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in sorted(os.listdir(directory)):
            tar.add(os.path.join(directory, name), arcname=name)
    return buffer.getvalue()


def router_get(app, path):
    """GET through the router: it routes by Host, `<app>.localhost`, on the loopback port Berth printed."""
    connection = http.client.HTTPConnection("127.0.0.1", berth["ports"]["router"], timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "%s.localhost:%d" % (app, berth["ports"]["router"])})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


class DeployTest(unittest.TestCase):
    def test_1_deploys_and_answers_through_the_router(self):
        api("POST", "/apps", {"name": APP})
        blob = api("POST", "/sources")["source_blob"]
        urllib.request.urlopen(urllib.request.Request(blob["put_url"], data=source_tarball(APP_DIR), method="PUT"), timeout=60).close()
        build = api("POST", "/apps/%s/builds" % APP, {"source_blob": {"url": blob["get_url"]}})
        with urllib.request.urlopen(build["output_stream_url"], timeout=600) as stream:
            output = stream.read().decode()  # ends when the build (and release phase) does
        self.assertIn("-----> Node.js app detected", output)
        while build["status"] == "pending":
            time.sleep(0.2)
            build = api("GET", "/apps/%s/builds/%s" % (APP, build["id"]))
        self.assertEqual(build["status"], "succeeded", output)

        deadline = time.monotonic() + 120
        while [d["state"] for d in api("GET", "/apps/%s/dynos" % APP)] != ["up"]:
            self.assertLess(time.monotonic(), deadline, "web.1 did not come up")
            time.sleep(0.5)
        self.assertEqual(router_get(APP, "/hello"), (200, "Hello from the python example: /hello\n"))

    def test_2_unknown_app_gets_herokus_no_such_app_page(self):
        status, _ = router_get("no-such-app", "/")
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main()
